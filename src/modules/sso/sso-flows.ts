import { createHash, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { ApiError, ErrorCode, newSecret, seal, unseal } from '@tessera/common';
import { REDIS } from '@tessera/queue';
import Redis from 'ioredis';
import type { Configuration } from 'openid-client' with { 'resolution-mode': 'import' };
import { APP_CONFIG, AppConfig } from '../../config/config';
import { WorkspacesService } from '../workspaces/workspaces.service';
import { SsoConnectionEntity } from './sso-connection.entity';
import { SsoConnectionsRepository } from './sso-connections.repository';
import { SsoHttp, SsoProviderUnreachable } from './sso-http';

/** The cookie that binds an SSO sign-in to the browser that started it. */
export const SSO_BINDING_COOKIE = 'tessera_sso';
/** How long a started sign-in may take to come back. */
export const SSO_FLOW_SECONDS = 600;
/** A provider's discovery document and keys are reused this long. */
const DISCOVERY_CACHE_MS = 5 * 60_000;
const STATE_KEY = (state: string) => `tessera:sso:state:${createHash('sha256').update(state).digest('base64url')}`;

/** What an outside provider asserted, after every check: who, by which connection of which workspace. */
export interface SsoIdentity {
  workspaceId: string;
  connection: SsoConnectionEntity;
  issuer: string;
  subject: string;
  claims: Record<string, unknown>;
}

/** The request parts a callback is read from (the same on both HTTP platforms). */
export interface CallbackRequest {
  url?: string;
  params?: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
}

interface PendingFlow {
  workspaceId: string;
  connectionId: string;
  updatedAt: string;
  verifier: string;
  nonce: string;
  redirectUri: string;
  /** SHA-256 of the browser's binding cookie. */
  binding: string;
}

/** A sign-in the API refuses: 401 in the envelope, with the reason. */
export class SsoRefused extends Error {}

function cookieOf(headers: CallbackRequest['headers'], name: string): string | undefined {
  const raw = ([] as string[]).concat(headers.cookie ?? []).join('; ');
  for (const part of raw.split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

const sha256 = (value: string) => createHash('sha256').update(value).digest('base64url');

/**
 * The OpenID Connect relying-party side of SSO, with openid-client (ESM-only, loaded with
 * import()): discovery, the authorization request (code + PKCE S256, state, nonce) and the
 * callback's code exchange with every check (state, PKCE, nonce, issuer, audience, signature).
 * The pending sign-in waits in Redis (sealed, single use), bound to the browser by a cookie.
 */
@Injectable()
export class SsoFlows {
  private readonly discovered = new Map<string, { until: number; config: Promise<Configuration> }>();

  constructor(
    private readonly repo: SsoConnectionsRepository,
    private readonly http: SsoHttp,
    private readonly workspaces: WorkspacesService,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The provider's configuration for this client; throws SsoProviderUnreachable when it cannot be discovered. */
  async discover(issuer: string, clientId: string, clientSecret: string): Promise<Configuration> {
    const oidc = await import('openid-client');
    try {
      return await oidc.discovery(new URL(issuer), clientId, undefined, oidc.ClientSecretBasic(clientSecret), {
        [oidc.customFetch]: this.http.fetch,
        execute: this.http.allowPrivate ? [oidc.allowInsecureRequests] : [],
        timeout: 10,
      });
    } catch (err) {
      if (err instanceof SsoProviderUnreachable) throw err;
      throw new SsoProviderUnreachable(`the identity provider's discovery failed: ${(err as Error).message}`);
    }
  }

  /** The workspace (by slug) and its connection with its secret; 404 alike when either is missing. */
  async connectionOf(workspaceSlug: string): Promise<{ workspaceId: string; connection: SsoConnectionEntity }> {
    const workspace = await this.workspaces.resolveAccess(workspaceSlug, null);
    const connection = workspace ? await this.repo.findWithSecret(workspace.id) : null;
    if (!workspace || !connection) throw ApiError.notFound('SSO connection');
    return { workspaceId: workspace.id, connection };
  }

  /** Starts a sign-in: the URL to send the browser to, and the cookie that binds the sign-in to it. */
  async start(workspaceSlug: string, redirectUri: string): Promise<{ url: string; binding: string }> {
    const { workspaceId, connection } = await this.connectionOf(workspaceSlug);
    const oidc = await import('openid-client');
    const config = await this.configFor(connection).catch(unavailable);
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const binding = newSecret('', 32);
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: 'openid email profile',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    const flow: PendingFlow = { workspaceId, connectionId: connection.id, updatedAt: connection.updatedAt.toISOString(), verifier, nonce, redirectUri, binding: sha256(binding) };
    const key = STATE_KEY(state);
    await this.redis.set(key, seal(this.config.encryptionKey, JSON.stringify(flow), key), 'EX', SSO_FLOW_SECONDS);
    return { url: url.href, binding };
  }

  /**
   * Finishes a sign-in from the provider's redirect: the flow its state names (once), started by
   * this browser, for this workspace, then the code exchange and the ID token's checks.
   */
  async finish(req: CallbackRequest): Promise<SsoIdentity> {
    const callbackUrl = new URL(req.url ?? '/', 'http://callback');
    const state = callbackUrl.searchParams.get('state');
    if (!state || state.length > 512) throw new SsoRefused('The sign-in has no valid state: start it again.');
    const key = STATE_KEY(state);
    const sealed = await this.redis.getdel(key);
    let flow: PendingFlow;
    try {
      flow = JSON.parse(unseal(this.config.encryptionKey, sealed ?? '', key).toString('utf8')) as PendingFlow;
    } catch {
      throw new SsoRefused('This sign-in expired or was already used: start it again.');
    }
    const binding = cookieOf(req.headers, SSO_BINDING_COOKIE);
    if (!binding || !timingSafeEqual(Buffer.from(sha256(binding)), Buffer.from(flow.binding))) throw new SsoRefused('This sign-in was started in another browser.');
    const { workspaceId, connection } = await this.connectionOf(req.params?.workspace_slug ?? '');
    if (workspaceId !== flow.workspaceId || connection.id !== flow.connectionId || connection.updatedAt.toISOString() !== flow.updatedAt) {
      throw new SsoRefused("This workspace's SSO changed during the sign-in: start it again.");
    }
    const oidc = await import('openid-client');
    const config = await this.configFor(connection).catch(unavailable);
    const current = new URL(flow.redirectUri);
    current.search = callbackUrl.search;
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      tokens = await oidc.authorizationCodeGrant(config, current, { pkceCodeVerifier: flow.verifier, expectedState: state, expectedNonce: flow.nonce, idTokenExpected: true });
    } catch (err) {
      if (err instanceof SsoProviderUnreachable) unavailable(err);
      throw new SsoRefused(`The identity provider did not sign you in: ${(err as Error).message}`);
    }
    const claims = tokens.claims();
    if (!claims) throw new SsoRefused('The identity provider sent no ID token.');
    // The ID token says who; userinfo may add the e-mail an ID token leaves out.
    let merged: Record<string, unknown> = { ...claims };
    if ((claims.email === undefined || claims.email_verified === undefined) && config.serverMetadata().userinfo_endpoint) {
      const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub).catch(() => null);
      if (info) merged = { ...info, ...claims, email: claims.email ?? info.email, email_verified: claims.email_verified ?? info.email_verified };
    }
    return { workspaceId, connection, issuer: claims.iss, subject: claims.sub, claims: merged };
  }

  private configFor(connection: SsoConnectionEntity): Promise<Configuration> {
    const cacheKey = `${connection.id}|${connection.updatedAt.toISOString()}`;
    const cached = this.discovered.get(cacheKey);
    if (cached && cached.until > Date.now()) return cached.config;
    const config = this.discover(connection.issuer, connection.clientId, unseal(this.config.encryptionKey, connection.clientSecretSealed, connection.workspaceId).toString('utf8'));
    this.discovered.set(cacheKey, { until: Date.now() + DISCOVERY_CACHE_MS, config });
    config.catch(() => this.discovered.delete(cacheKey));
    return config;
  }
}

/** An identity provider that does not answer is a dependency down: 503 with Retry-After. */
function unavailable(err: unknown): never {
  if (err instanceof SsoProviderUnreachable) {
    throw new ApiError(503, ErrorCode.SERVICE_UNAVAILABLE, `The workspace's identity provider is unavailable: ${err.message}`, { retry_after: 30 }, { 'Retry-After': '30' });
  }
  throw err;
}
