import { ApiError } from '@tessera/common';
import { Principal } from './principal';
import { expand, grants } from './scopes';

/**
 * The expiry of a credential that `principal` mints (a key, a PAT): never later than the
 * principal's own credential, and the principal's own expiry when none is asked for. A browser
 * token from GET /auth/token mints nothing (403).
 */
export function mintedExpiry(principal: Principal, requested: Date | null): Date | null {
  if (principal.exchanged) throw ApiError.forbidden('A token from GET /auth/token cannot create credentials: present the API key or personal access token itself.');
  const own = principal.credentialExpiresAt;
  if (!own) return requested;
  if (!requested) return new Date(own);
  if (requested.getTime() > own) throw ApiError.validation({ expires_at: ['cannot be later than the expiry of the credential creating it'] });
  return requested;
}

/**
 * Nobody hands out more than they hold: every scope a new key, token or role would grant must be
 * granted to the caller too (its credential's scopes and, in a workspace, its role's).
 */
export function assertCanDelegate(principal: Principal, requested: readonly string[], roleScopes?: readonly string[]): void {
  const held = (scope: Parameters<typeof grants>[1]) =>
    grants(principal.scopes, scope) &&
    (principal.kind === 'api_key' || !(roleScopes ?? principal.workspace?.roleScopes) || grants(roleScopes ?? principal.workspace!.roleScopes, scope));
  const beyond = expand(requested).filter((s) => !held(s));
  if (beyond.length) {
    throw ApiError.forbidden(`You cannot grant scopes you do not hold: ${beyond.join(', ')}.`, beyond);
  }
}
