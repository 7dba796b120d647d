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

const BUILT_IN_RANK: Record<BuiltInRole, number> = { owner: 4, admin: 3, member: 2, viewer: 1 };
/** A custom role ranks below admin and above member: it may hold write scopes a member lacks. */
const CUSTOM_RANK = 2.5;

/** How high a role stands (owner > admin > custom > member > viewer); no role ranks below all. */
export function rankOf(role: string | null): number {
  if (role === null) return 0;
  return isBuiltInRole(role) ? BUILT_IN_RANK[role] : CUSTOM_RANK;
}

/**
 * Whether `actor` may manage `target`'s account (e-mail, password): only a strictly higher
 * built-in role does; a custom role never outranks anyone for this (an API key is ranked by the
 * member who made it: see MembersService).
 */
export function outranksForAccount(actor: string | null, target: string): boolean {
  return actor !== null && isBuiltInRole(actor) && BUILT_IN_RANK[actor] > rankOf(target);
}
