import { ALL_SCOPES, Scope } from './scopes';

export const BUILT_IN_ROLES = ['owner', 'admin', 'member', 'viewer'] as const;
export type BuiltInRole = (typeof BUILT_IN_ROLES)[number];

/** What each built-in role may do (API.md, "Credentials"). */
export const BUILT_IN_ROLE_SCOPES: Record<BuiltInRole, readonly string[]> = {
  owner: ['*'],
  // Everything but deleting the workspace; changing an owner is an owner-only rule in MembersService.
  admin: ALL_SCOPES.filter((s) => s !== Scope.WorkspacesDelete),
  member: ['read', 'posts:*', 'seo:*', 'mcp:*'],
  viewer: ['read'],
};

export const BUILT_IN_ROLE_DESCRIPTIONS: Record<BuiltInRole, string> = {
  owner: 'Everything, including deleting the workspace and managing owners.',
  admin: 'Everything but deleting the workspace or changing its owners.',
  member: 'Reads everything; writes posts, SEO reports and MCP.',
  viewer: 'Reads everything, changes nothing.',
};

export function isBuiltInRole(role: string): role is BuiltInRole {
  return (BUILT_IN_ROLES as readonly string[]).includes(role);
}
