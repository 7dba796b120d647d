import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiError, clientIp, ErrorCode, hashSecret, header, notePrincipalForLog, RequestLike } from '@tessera/common';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { ApiKeysService } from '../api-keys/api-keys.service';
import { MfaService } from '../mfa/mfa.service';
import { BrowserSessionsService } from '../sessions/browser-sessions.service';
import { assertSameSiteRequest, sessionCookieOf } from '../sessions/session-cookies';
import { UsersService } from '../users/users.service';
import { FailedAuthLimiter } from '../rate-limit/failed-auth.limiter';
import { OAuthGrantsService } from '../oauth/oauth-grants.service';
import { PAT_PREFIX, TokensService } from '../tokens/tokens.service';
import { WorkspacesService } from '../workspaces/workspaces.service';
import { AUTH_METADATA, AuthenticatedOptions, PUBLIC_METADATA } from './authenticated.decorator';
import { AuthenticatedRequest, capTier, missingScopes, missingScopesError, Principal, WorkspaceAccess } from './principal';
import { Scope } from './scopes';
import { AccessTokensService } from './access-tokens.service';

type GuardedRequest = RequestLike & AuthenticatedRequest & { params?: Record<string, string>; url?: string; originalUrl?: string };

/** The presented secret: `Authorization: Bearer …` or `X-Api-Key: …`. */
export function presentedCredential(req: RequestLike): string | null {
  const apiKey = header(req, 'x-api-key');
  if (apiKey) return apiKey.trim();
  const authorization = header(req, 'authorization');
  if (!authorization) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!m) throw ApiError.unauthorized('The Authorization header must be "Bearer <token>".');
  return m[1];
}

/**
 * Who is calling (authentication), in which workspace (tenancy), and whether they may (scopes ∩
 * role). Every route is protected unless marked @Public(); @Authenticated() says what it needs.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly accessTokens: AccessTokensService,
    private readonly workspaces: WorkspacesService,
    private readonly apiKeys: ApiKeysService,
    private readonly tokens: TokensService,
    private readonly oauth: OAuthGrantsService,
    private readonly users: UsersService,
    private readonly failedAuth: FailedAuthLimiter,
    private readonly browserSessions: BrowserSessionsService,
    private readonly mfa: MfaService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_METADATA, targets)) return true;
    const options = this.reflector.getAllAndOverride<AuthenticatedOptions>(AUTH_METADATA, targets) ?? {};
    const req = context.switchToHttp().getRequest<GuardedRequest>();
    if (options.operator) {
      req.principal = await this.authenticateOperator(req);
      notePrincipalForLog(req, req.principal.userId ?? req.principal.credentialId);
      return true;
    }

    const principal = await this.authenticate(req);
    if (options.workspace) {
      principal.workspace = await this.resolveWorkspace(req, principal, options.workspace);
      // The workspace's current tier (its access cache drops on any change) caps the key's own.
      if (principal.kind === 'api_key') principal.rateLimitTier = capTier(principal.rateLimitTier, principal.workspace.tier);
    }
    this.authorize(principal, options.scopes ?? []);
    req.principal = principal;
    notePrincipalForLog(req, principal.kind === 'api_key' ? principal.credentialId : (principal.userId ?? principal.credentialId));
    return true;
  }

  /**
   * Every rejected credential counts against the client address (FailedAuthLimiter). Past the
   * budget, a rejection is 429 instead of 401, and an API key or PAT that would need a lookup
   * (not verified by this process moments ago) is 429 before the lookup. Access tokens are
   * checked by signature alone, so a valid one still passes.
   */
  private async authenticate(req: GuardedRequest): Promise<Principal> {
    const credential = presentedCredential(req);
    // A credential in a header wins: the request is judged by it alone and the session cookie is
    // not read (no fallback to it when the header's credential fails). Only a request without one
    // is signed in by the cookie, and then under the CSRF rules.
    if (!credential) {
      const cookie = sessionCookieOf(req);
      if (cookie !== null) return this.authenticateSessionCookie(req, cookie);
      throw ApiError.unauthorized('Authentication required: send "Authorization: Bearer <token>", or sign in for a session cookie.');
    }
    // An API key's or PAT's hash is what both the cache and the database know it by: made once.
    const hash = credential.startsWith('sk_') || credential.startsWith(PAT_PREFIX) ? hashSecret(credential) : undefined;
    const needsLookup = credential.startsWith('sk_')
      ? !this.apiKeys.isVerified(credential, hash)
      : credential.startsWith(PAT_PREFIX)
        ? !this.tokens.isVerified(credential, hash)
        : OAuthGrantsService.looksLikeAccessToken(credential) && !this.oauth.isVerified(credential);
    if (needsLookup) await this.failedAuth.assertAllowed(clientIp(req));
    try {
      return await this.verify(credential, hash);
    } catch (err) {
      if (err instanceof ApiError && err.getStatus() === 401) await this.failedAuth.recordFailure(clientIp(req));
      throw err;
    }
  }

  /**
   * The browser session cookie: a user's role permissions, like an access token of a login. A
   * state-changing request needs an allowed Origin and the session's X-CSRF-Token (403 otherwise).
   * An unknown or ended session counts as a failed authentication.
   */
  private async authenticateSessionCookie(req: GuardedRequest, secret: string): Promise<Principal> {
    const ip = clientIp(req);
    if (!this.browserSessions.isVerified(secret)) await this.failedAuth.assertAllowed(ip);
    const session = await this.browserSessions.verify(secret, req);
    if (!session) {
      await this.failedAuth.recordFailure(ip);
      throw ApiError.unauthorized('The session has ended or is not valid: sign in again.');
    }
    assertSameSiteRequest(req, session.id, this.config.encryptionKey, this.config.allowedOrigins);
    return { kind: 'user', userId: session.userId, credentialId: session.id, scopes: ['*'], boundWorkspaceId: session.workspaceId, workspace: null, viaSessionCookie: true };
  }

  private async verify(credential: string, hash?: Buffer): Promise<Principal> {
    if (credential.startsWith('sk_')) {
      const key = await this.apiKeys.verify(credential, hash);
      if (!key) throw ApiError.unauthorized('The API key is invalid, expired or revoked.');
      return { kind: 'api_key', userId: null, credentialId: key.id, scopes: key.scopes, boundWorkspaceId: key.workspaceId, workspace: null, rateLimitTier: capTier(key.rateLimitTier, key.workspaceTier), credentialExpiresAt: key.expiresAt };
    }
    if (credential.startsWith(PAT_PREFIX)) {
      const pat = await this.tokens.verify(credential, hash);
      if (!pat) throw ApiError.unauthorized('The personal access token is invalid, expired or revoked.');
      return { kind: 'pat', userId: pat.userId, credentialId: pat.id, scopes: pat.scopes, boundWorkspaceId: pat.workspaceId, workspace: null, credentialExpiresAt: pat.expiresAt };
    }
    if (OAuthGrantsService.looksLikeAccessToken(credential)) {
      // A third-party app's token: its granted scopes, bound to the workspace the user picked at
      // consent, checked against the user's role there on every request (like a pinned PAT).
      const token = await this.oauth.verify(credential);
      if (!token) throw ApiError.unauthorized('The OAuth access token is invalid, expired or revoked.');
      return { kind: 'oauth', userId: token.userId, credentialId: token.id, scopes: token.scopes, boundWorkspaceId: token.workspaceId, workspace: null, credentialExpiresAt: token.expiresAt };
    }
    const claims = await this.accessTokens.verify(credential);
    if (!claims || (await this.accessTokens.isRevoked(claims))) throw ApiError.unauthorized();
    if (claims.knd) {
      // An access token exchanged for an API key or PAT (GET /auth/token): the same powers, for 15 minutes.
      return { kind: claims.knd, userId: claims.knd === 'pat' ? claims.sub : null, credentialId: claims.sid, scopes: claims.scp ?? [], boundWorkspaceId: claims.ws ?? null, workspace: null, rateLimitTier: claims.tier ?? null, exchanged: true };
    }
    return { kind: 'user', userId: claims.sub, credentialId: claims.sid, scopes: ['*'], boundWorkspaceId: claims.ws ?? null, workspace: null };
  }

  /** An operator signs in as a user (JWT); anything else finds no such route. */
  private async authenticateOperator(req: GuardedRequest): Promise<Principal> {
    const principal = await this.authenticate(req).catch(() => null);
    if (!principal || principal.kind !== 'user' || !principal.userId || !(await this.users.isOperator(principal.userId))) {
      // The same answer as a route that does not exist.
      const path = (req.originalUrl ?? req.url ?? '').split('?')[0];
      throw new ApiError(404, ErrorCode.NOT_FOUND, `No route ${req.method} ${path}.`);
    }
    return principal;
  }

  private async resolveWorkspace(req: GuardedRequest, principal: Principal, from: NonNullable<AuthenticatedOptions['workspace']>): Promise<WorkspaceAccess> {
    let named: string | undefined;
    if (from === 'header') {
      named = header(req, 'x-workspace-id')?.trim() || undefined;
      if (!named && !principal.boundWorkspaceId) {
        throw new ApiError(400, ErrorCode.TENANT_CONTEXT_MISSING, 'This route acts in a workspace: send X-Workspace-ID (its id or slug).');
      }
    } else {
      named = req.params?.[from.param];
    }
    const access = await this.workspaces.resolveAccess(named ?? principal.boundWorkspaceId!, principal.userId);
    if (!access) throw ApiError.notFound('Workspace');
    // A user's credential learns nothing of a workspace the user is not a member of, bound or not.
    if (principal.kind !== 'api_key' && !access.role) throw ApiError.notFound('Workspace');
    if (principal.boundWorkspaceId && access.id !== principal.boundWorkspaceId) {
      if (from === 'header') throw ApiError.forbidden('This credential is bound to another workspace than the one X-Workspace-ID names.');
      throw ApiError.notFound('Workspace');
    }
    // API keys act for no user; every user credential needs TOTP on where owners require it.
    if (access.requireMfa && principal.userId && !(await this.mfa.isEnrolled(principal.userId))) {
      throw new ApiError(403, ErrorCode.MFA_REQUIRED, 'This workspace requires multi-factor sign-in: turn TOTP on for your account (POST /api/v1/me/mfa/totp, signed in without naming a workspace) to work in it.');
    }
    return access;
  }

  private authorize(principal: Principal, required: Scope[]): void {
    const missing = missingScopes(principal, required);
    if (missing.length) throw missingScopesError(missing);
  }
}
