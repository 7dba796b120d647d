import { describe, expect, it } from 'vitest';
import { BUILT_IN_ROLE_SCOPES } from './roles';
import { expand, grants, isScopePattern, Scope } from './scopes';

describe('scopes', () => {
  it('should grant exact scopes and nothing else', () => {
    expect(grants(['posts:read'], Scope.PostsRead)).toBe(true);
    expect(grants(['posts:read'], Scope.PostsWrite)).toBe(false);
    expect(grants([], Scope.PostsRead)).toBe(false);
  });

  it('should expand the wildcards *, resource:*, read and write', () => {
    expect(grants(['*'], Scope.WorkspacesDelete)).toBe(true);
    expect(grants(['posts:*'], Scope.PostsDelete)).toBe(true);
    expect(grants(['posts:*'], Scope.SeoRead)).toBe(false);
    expect(grants(['read'], Scope.AuditRead)).toBe(true);
    expect(grants(['read'], Scope.AuditWrite)).toBe(false);
    expect(grants(['write'], Scope.WebhooksWrite)).toBe(true);
    expect(grants(['write'], Scope.WebhooksDelete)).toBe(false);
  });

  it('should recognise valid patterns and refuse invented ones', () => {
    for (const p of ['*', 'read', 'write', 'posts:*', 'api-keys:read']) expect(isScopePattern(p), p).toBe(true);
    for (const p of ['delete', 'posts', 'posts:admin', 'nope:*', '*:*', '']) expect(isScopePattern(p), p).toBe(false);
  });

  it('should give the built-in roles what the contract says', () => {
    expect(expand(BUILT_IN_ROLE_SCOPES.owner)).toHaveLength(39);
    expect(expand(BUILT_IN_ROLE_SCOPES.admin)).not.toContain(Scope.WorkspacesDelete);
    expect(expand(BUILT_IN_ROLE_SCOPES.admin)).toHaveLength(38);
    const member = expand(BUILT_IN_ROLE_SCOPES.member);
    expect(member).toEqual(expect.arrayContaining([Scope.PostsWrite, Scope.PostsDelete, Scope.SeoWrite, Scope.McpWrite, Scope.MembersRead]));
    expect(member).not.toContain(Scope.MembersWrite);
    expect(expand(BUILT_IN_ROLE_SCOPES.viewer).every((s) => s.endsWith(':read'))).toBe(true);
  });
});
