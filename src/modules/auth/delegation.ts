import { ApiError } from '@tessera/common';
import { Principal } from './principal';
import { expand, grants } from './scopes';

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
