/**
 * The part of oidc-provider 9 (ESM-only, no bundled types) that Tessera uses, typed from its
 * source and documentation. The module is loaded with a dynamic import() (OAuthProviderService).
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  /** The Koa context oidc-provider hands to middleware and configuration functions. */
  export interface KoaContext {
    req: IncomingMessage;
    res: ServerResponse;
    method: string;
    path: string;
    status: number;
    body: unknown;
    type: string;
    get(field: string): string;
    set(field: string, value: string): void;
    redirect(url: string): void;
    oidc?: OidcContext;
  }

  /** ctx.oidc, as far as configuration functions read it. */
  export interface OidcContext {
    route?: string;
    provider: Provider;
    client?: ClientInstance;
    params?: Record<string, unknown>;
    session?: { accountId?: string; grantIdFor(clientId: string): string | undefined };
    result?: { consent?: { grantId?: string } };
  }

  export type KoaMiddleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>;

  /** What the provider stores for a model: its own fields, plus what adapters index by. */
  export interface AdapterPayload {
    [field: string]: unknown;
    jti?: string;
    kind?: string;
    exp?: number;
    iat?: number;
    grantId?: string;
    accountId?: string;
    clientId?: string;
    uid?: string;
    consumed?: number;
    scope?: string;
  }

  export interface Adapter {
    upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void>;
    find(id: string): Promise<AdapterPayload | undefined>;
    findByUid(uid: string): Promise<AdapterPayload | undefined>;
    findByUserCode(userCode: string): Promise<AdapterPayload | undefined>;
    consume(id: string): Promise<void>;
    destroy(id: string): Promise<void>;
    revokeByGrantId(grantId: string): Promise<void>;
  }

  export interface ClientInstance {
    clientId: string;
    clientName?: string;
    clientSecret?: string;
    clientAuthMethod: string;
    redirectUris: string[];
    grantTypeAllowed(type: string): boolean;
  }

  export interface ClientClass {
    find(id: string): Promise<ClientInstance | undefined>;
    prototype: ClientInstance & { compareClientSecret(actual: string): boolean | Promise<boolean> };
  }

  export interface GrantInstance {
    jti: string;
    accountId: string;
    clientId: string;
    addOIDCScope(scope: string): void;
    rejectOIDCScope(scope: string): void;
    addOIDCClaims(claims: string[]): void;
    getOIDCScope(): string;
    save(): Promise<string>;
  }

  export interface GrantClass {
    new (input: { jti?: string; accountId: string; clientId: string }): GrantInstance;
    find(id: string): Promise<GrantInstance | undefined>;
  }

  /** A token as configuration functions (extraTokenClaims, allowedPolicy) see it. */
  export interface TokenInstance {
    kind: string;
    jti: string;
    clientId: string;
    grantId?: string;
    accountId?: string;
    scope?: string;
  }

  export interface InteractionDetails {
    uid: string;
    prompt: { name: string; reasons: string[]; details: Record<string, unknown> };
    params: Record<string, unknown>;
    session?: { accountId: string; uid: string };
    /** What the previous step of this authorization submitted (its interactionResult), extra keys included. */
    lastSubmission?: Record<string, unknown>;
    grantId?: string;
    returnTo: string;
    exp: number;
  }

  /** The provider's own sign-in of a browser (its _session cookie), kept by the adapter for a day. */
  export interface SessionInstance {
    accountId?: string;
    destroy(): Promise<void>;
  }

  export interface SessionClass {
    /** The session of the request's cookie (a new one when there is none). */
    get(ctx: KoaContext): Promise<SessionInstance>;
  }

  export type InteractionResult =
    | { login: { accountId: string; remember?: boolean }; [kept: string]: unknown }
    | { consent: { grantId: string } }
    | { error: string; error_description?: string };

  export class Provider {
    constructor(issuer: string, configuration: object);
    readonly issuer: string;
    proxy: boolean;
    Grant: GrantClass;
    Client: ClientClass;
    Session: SessionClass;
    callback(): (req: IncomingMessage, res: ServerResponse) => Promise<void>;
    use(middleware: KoaMiddleware): void;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
    interactionResult(req: IncomingMessage, res: ServerResponse, result: InteractionResult, options?: { mergeWithLastSubmission?: boolean }): Promise<string>;
    on(event: string, listener: (...args: unknown[]) => void): this;
  }

  type ProviderError = new (description?: string) => Error & { status: number; statusCode: number; expose: boolean; error: string; error_description?: string };

  export const errors: {
    OIDCProviderError: ProviderError;
    InvalidGrant: ProviderError;
    InvalidRequest: ProviderError;
    SessionNotFound: ProviderError;
    TemporarilyUnavailable: ProviderError;
  };

  export default Provider;
}
