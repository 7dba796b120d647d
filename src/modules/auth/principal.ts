import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { ApiError } from '@tessera/common';
import { grants, Scope } from './scopes';

export type Tier = 'free' | 'starter' | 'pro' | 'business' | 'agency' | 'enterprise';
/** From the smallest plan to the largest. */
export const TIERS: readonly Tier[] = ['free', 'starter', 'pro', 'business', 'agency', 'enterprise'];

/** The smaller of two tiers: a key's own tier never exceeds its workspace's. */
export function capTier(tier: Tier | null | undefined, ceiling: Tier): Tier {
  return tier && TIERS.indexOf(tier) < TIERS.indexOf(ceiling) ? tier : ceiling;
}

export interface WorkspaceAccess {
  id: string;
  slug: string;
  tier: Tier;
  /** The caller's role in it: a built-in role name (API keys act with their own scopes only). */
  role: string | null;
  /** What that role may do. */
  roleScopes: readonly string[];
  /** Its owners require multi-factor sign-in: members without TOTP get 403 MFA_REQUIRED in it. */
  requireMfa: boolean;
}

/** Who is calling, resolved by the AuthGuard and attached to the request. */
export interface Principal {
  /** oauth: an access token of the built-in OAuth provider, issued to a third-party app. */
  kind: 'user' | 'api_key' | 'pat' | 'oauth';
  userId: string | null;
  /** The session family (JWT), API key, token, or OAuth authorization (grant) the request was made with. */
  credentialId: string;
  /** Scopes the credential itself carries (a user's JWT carries every scope). */
  scopes: readonly string[];
  /** A workspace the credential is bound to, if any. */
  boundWorkspaceId: string | null;
  /** The workspace of this request, for workspace routes. */
  workspace: WorkspaceAccess | null;
  /** An API key's own rate-limit tier, when it has one. */
  rateLimitTier?: Tier | null;
  /** An access token from GET /auth/token (it cannot be exchanged again). */
  exchanged?: boolean;
  /** When the API key, PAT or OAuth access token behind the request stops working (ms since epoch), if it does. */
  credentialExpiresAt?: number | null;
  /** Signed in by the browser session cookie (credentialId is the session's id, `bss_…`). */
  viaSessionCookie?: boolean;
}

/**
 * The scopes of `required` a principal lacks: its credential's own scopes must grant each one,
 * and in a workspace a user's credential (JWT, PAT) is also held to its role there. An API key
 * acts with its own scopes only.
 */
export function missingScopes(principal: Principal, required: readonly Scope[]): Scope[] {
  return required.filter(
    (scope) => !grants(principal.scopes, scope) || (principal.workspace !== null && principal.kind !== 'api_key' && !grants(principal.workspace.roleScopes, scope)),
  );
}

/** 403 FORBIDDEN naming the missing scopes, as API.md says (meta.required_scopes). */
export function missingScopesError(missing: readonly Scope[]): ApiError {
  return ApiError.forbidden(`Missing scope${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}.`, [...missing]);
}

export interface AuthenticatedRequest {
  principal?: Principal;
}

export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  const principal = ctx.switchToHttp().getRequest<AuthenticatedRequest>().principal;
  if (!principal) throw ApiError.unauthorized();
  return principal;
});

/** The workspace of a workspace route (its guard has already resolved it). */
export const CurrentWorkspace = createParamDecorator((_: unknown, ctx: ExecutionContext): WorkspaceAccess => {
  const workspace = ctx.switchToHttp().getRequest<AuthenticatedRequest>().principal?.workspace;
  if (!workspace) throw ApiError.unauthorized();
  return workspace;
});

/** The user behind a credential; workspace API keys act for no user and get 403 on user routes. */
export function userIdOf(principal: Principal): string {
  if (!principal.userId) throw ApiError.forbidden('This route acts for a user: call it with a user credential, not a workspace API key.');
  return principal.userId;
}

/**
 * The user behind a credential, for routes that reach across workspaces (my invitations): a
 * credential bound to one workspace (a pinned PAT, a login bound to a workspace) gets 403.
 */
export function unboundUserIdOf(principal: Principal): string {
  const userId = userIdOf(principal);
  if (principal.boundWorkspaceId) throw ApiError.forbidden('This credential is bound to one workspace; this route reaches across workspaces.');
  return userId;
}

/**
 * The user of an interactive sign-in (an access token from login, or the session cookie), for the
 * routes that change how the account signs in (MFA, passkeys) or list its sign-ins: a personal
 * access token, an API key or a token exchanged for one gets 403, so a leaked script credential
 * cannot add a passkey, turn TOTP on against its owner, or end their sessions.
 */
export function signedInUserIdOf(principal: Principal): string {
  if (principal.kind !== 'user' || !principal.userId) {
    throw ApiError.forbidden('This route manages how the account signs in: call it signed in (the session cookie or an access token from login), not with a personal access token or an API key.');
  }
  return principal.userId;
}

/**
 * The user of an interactive sign-in that is not bound to one workspace, for the routes that change
 * how the account signs in everywhere (a passkey starts unbound browser sessions; TOTP turned on
 * guards every sign-in; sessions listed or ended are those of every workspace): a login bound to a
 * workspace, and an SSO sign-in, which only that workspace's identity provider vouches for, get
 * 403, as they do when minting an unpinned token.
 */
export function unboundSignedInUserIdOf(principal: Principal): string {
  const userId = signedInUserIdOf(principal);
  if (principal.boundWorkspaceId) {
    throw ApiError.forbidden('This sign-in is bound to one workspace (a login that named it, or SSO through its identity provider); this route changes how the account signs in everywhere: sign in without naming a workspace.');
  }
  return userId;
}

/** The group under which resolved workspace access is cached; dropping it forgets the workspace everywhere. */
export function accessCacheGroup(workspaceId: string): string {
  return `access:${workspaceId}`;
}
