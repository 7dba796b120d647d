import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { ApiError } from '@tessera/common';

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

/** The group under which resolved workspace access is cached; dropping it forgets the workspace everywhere. */
export function accessCacheGroup(workspaceId: string): string {
  return `access:${workspaceId}`;
}
