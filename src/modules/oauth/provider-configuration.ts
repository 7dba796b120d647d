import type { Adapter, ClientInstance, errors as ProviderErrors, GrantInstance, KoaContext, TokenInstance } from 'oidc-provider';
import type { AppConfig } from '../../config/config';
import { PROVIDER_SCOPES } from './oauth-scopes';
import type { ProviderKey } from './signing-keys.service';

/** An account as the provider sees it: its id and its OpenID Connect claims. */
export interface ProviderAccount {
  accountId: string;
  claims(): Promise<Record<string, unknown>>;
}

export interface ProviderDependencies {
  config: AppConfig;
  errors: typeof ProviderErrors;
  jwks: ProviderKey[];
  /** Keys that sign the provider's cookies (interaction, session). */
  cookieKeys: string[];
  adapter(model: string): Adapter;
  findAccount(accountId: string): Promise<ProviderAccount | undefined>;
  workspaceOfGrant(grantId: string): Promise<string | null>;
  renderError(ctx: KoaContext, out: Record<string, unknown>): Promise<void>;
}

const DAY = 86_400;

/** The interaction pages live under the provider's own path (the issuer's path: /oauth). */
export function interactionPath(issuer: string, uid: string): string {
  return `${new URL(issuer).pathname.replace(/\/$/, '')}/interaction/${uid}`;
}

/**
 * oidc-provider's configuration: OAuth 2.1 (authorization code with PKCE for every client, no
 * implicit, no password grant), rotating refresh tokens (a reused one revokes its grant),
 * opaque access tokens the API verifies (and revocation and introspection can reach), userinfo,
 * and nothing else: no dynamic registration, device flow, DPoP, PAR or logout endpoint.
 */
export function providerConfiguration(deps: ProviderDependencies): object {
  const { config } = deps;
  return {
    adapter: deps.adapter,
    clients: [],
    jwks: { keys: deps.jwks },
    cookies: {
      keys: deps.cookieKeys,
      long: { signed: true, httpOnly: true, sameSite: 'lax' },
      short: { signed: true, httpOnly: true, sameSite: 'lax' },
    },
    findAccount: (_ctx: KoaContext, id: string) => deps.findAccount(id),
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    scopes: PROVIDER_SCOPES,
    responseTypes: ['code'],
    pkce: { required: () => true },
    clientAuthMethods: ['none', 'client_secret_basic', 'client_secret_post'],
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'RS256',
    },
    // Client secrets are stored hashed, so nothing may use one as a key: no HS256 ID tokens and no
    // client_secret_jwt (clientAuthMethods above).
    enabledJWA: { idTokenSigningAlgValues: ['RS256'] },
    allowOmittingSingleRegisteredRedirectUri: false,
    features: {
      devInteractions: { enabled: false },
      introspection: { enabled: true, allowedPolicy: (_ctx: KoaContext, client: ClientInstance, token: TokenInstance) => token.clientId === client.clientId },
      // RFC 7009: a client revokes only its own tokens; another confidential client is told so, a
      // public one (which proves nothing) gets the usual 200 and nothing happens.
      revocation: {
        enabled: true,
        allowedPolicy: (_ctx: KoaContext, client: ClientInstance, token: TokenInstance) => {
          if (token.clientId === client.clientId) return true;
          if (client.clientAuthMethod === 'none') return false;
          throw new deps.errors.InvalidRequest('client is not authorized to revoke the presented token');
        },
      },
      userinfo: { enabled: true },
      dPoP: { enabled: false },
      pushedAuthorizationRequests: { enabled: false },
      resourceIndicators: { enabled: false },
      rpInitiatedLogout: { enabled: false },
    },
    ttl: {
      AccessToken: config.oauth.accessTokenTtlSeconds,
      AuthorizationCode: 60,
      IdToken: 3600,
      RefreshToken: config.oauth.refreshTokenTtlDays * DAY,
      Interaction: 600,
      Session: DAY,
      Grant: 365 * DAY,
    },
    interactions: { url: (_ctx: KoaContext, interaction: { uid: string }) => interactionPath(config.oauth.issuer, interaction.uid) },
    issueRefreshToken: (_ctx: KoaContext, client: ClientInstance) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: true,
    // Tokens do not end with the browser session at the provider: apps keep working until revoked.
    expiresWithSession: () => false,
    extraTokenClaims: async (_ctx: KoaContext, token: TokenInstance) => {
      if (token.kind !== 'AccessToken' || !token.grantId) return undefined;
      const workspaceId = await deps.workspaceOfGrant(token.grantId);
      return workspaceId ? { workspace_id: workspaceId } : undefined;
    },
    loadExistingGrant: async (ctx: KoaContext) => {
      const oidc = ctx.oidc!;
      const accountId = oidc.session?.accountId;
      const justGranted = oidc.result?.consent?.grantId;
      const grantId = justGranted ?? (oidc.client ? oidc.session?.grantIdFor(oidc.client.clientId) : undefined);
      if (!grantId || !accountId) return undefined;
      const grant: GrantInstance | undefined = await oidc.provider.Grant.find(grantId);
      if (!grant || grant.accountId !== accountId) return undefined;
      if (justGranted) return grant;
      // An earlier consent of this browser session is reused only when it covers every scope asked
      // for now; anything more is a new consent, where the user picks the workspace again.
      const granted = new Set(grant.getOIDCScope().split(' '));
      const requested = String(oidc.params?.scope ?? '').split(' ').filter(Boolean);
      return requested.every((s) => granted.has(s)) ? grant : undefined;
    },
    clientBasedCORS: (_ctx: KoaContext, origin: string, client: ClientInstance) =>
      origin !== 'null' && client.clientAuthMethod === 'none' && client.redirectUris.some((uri) => URL.parse(uri)?.origin === origin),
    renderError: (ctx: KoaContext, out: Record<string, unknown>) => deps.renderError(ctx, out),
  };
}
