import { describe, expect, it } from 'vitest';
import { missingScopes, Principal, unboundSignedInUserIdOf, WorkspaceAccess } from './principal';
import { Scope } from './scopes';

const workspace = (roleScopes: string[]): WorkspaceAccess => ({ id: 'ws_1', slug: 'ws', tier: 'free', role: 'viewer', roleScopes, requireMfa: false });
const principal = (kind: Principal['kind'], scopes: string[], roleScopes: string[] | null): Principal => ({
  kind,
  userId: kind === 'api_key' ? null : 'usr_1',
  credentialId: 'cred_1',
  scopes,
  boundWorkspaceId: null,
  workspace: roleScopes ? workspace(roleScopes) : null,
});

describe(missingScopes.name, () => {
  it('should hold an API key to its own scopes only', () => {
    expect(missingScopes(principal('api_key', ['posts:*'], []), [Scope.PostsWrite, Scope.WebhooksRead])).toEqual([Scope.WebhooksRead]);
  });

  it('should hold a user’s credential to its scopes and to its role in the workspace', () => {
    // A JWT carries every scope; a viewer's role reads only.
    expect(missingScopes(principal('user', ['*'], ['read']), [Scope.PostsRead, Scope.PostsWrite])).toEqual([Scope.PostsWrite]);
    // A PAT with write scopes is still held to its owner's role.
    expect(missingScopes(principal('pat', ['posts:write', 'posts:read'], ['read']), [Scope.PostsWrite])).toEqual([Scope.PostsWrite]);
    expect(missingScopes(principal('pat', ['posts:read'], ['*']), [Scope.PostsRead, Scope.McpRead])).toEqual([Scope.McpRead]);
  });

  it('should check the credential alone outside a workspace', () => {
    expect(missingScopes(principal('pat', ['tokens:read'], null), [Scope.TokensRead])).toEqual([]);
  });
});

describe(unboundSignedInUserIdOf.name, () => {
  it('should answer the user of a sign-in bound to no workspace', () => {
    expect(unboundSignedInUserIdOf(principal('user', ['*'], null))).toBe('usr_1');
  });

  it('should throw for a sign-in bound to a workspace (a login that named it, SSO), a PAT or an API key', () => {
    expect(() => unboundSignedInUserIdOf({ ...principal('user', ['*'], null), boundWorkspaceId: 'ws_1' })).toThrow(/bound to one workspace/);
    expect(() => unboundSignedInUserIdOf(principal('pat', ['*'], null))).toThrow(/personal access token/);
    expect(() => unboundSignedInUserIdOf(principal('api_key', ['*'], null))).toThrow(/personal access token/);
  });
});
