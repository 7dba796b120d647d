/** The scope catalog: `resource:action`. Every route names the scopes it needs from this enum. */
export enum Scope {
  WorkspacesRead = 'workspaces:read',
  WorkspacesWrite = 'workspaces:write',
  WorkspacesDelete = 'workspaces:delete',
  MembersRead = 'members:read',
  MembersWrite = 'members:write',
  MembersDelete = 'members:delete',
  UsersRead = 'users:read',
  UsersWrite = 'users:write',
  UsersDelete = 'users:delete',
  RolesRead = 'roles:read',
  RolesWrite = 'roles:write',
  RolesDelete = 'roles:delete',
  ApiKeysRead = 'api-keys:read',
  ApiKeysWrite = 'api-keys:write',
  ApiKeysDelete = 'api-keys:delete',
  TokensRead = 'tokens:read',
  TokensWrite = 'tokens:write',
  TokensDelete = 'tokens:delete',
  WebhooksRead = 'webhooks:read',
  WebhooksWrite = 'webhooks:write',
  WebhooksDelete = 'webhooks:delete',
  PostsRead = 'posts:read',
  PostsWrite = 'posts:write',
  PostsDelete = 'posts:delete',
  EntitlementsRead = 'entitlements:read',
  EntitlementsWrite = 'entitlements:write',
  EntitlementsDelete = 'entitlements:delete',
  SeoRead = 'seo:read',
  SeoWrite = 'seo:write',
  SeoDelete = 'seo:delete',
  McpRead = 'mcp:read',
  McpWrite = 'mcp:write',
  McpDelete = 'mcp:delete',
  AuditRead = 'audit:read',
  AuditWrite = 'audit:write',
  AuditDelete = 'audit:delete',
  OAuthClientsRead = 'oauth-clients:read',
  OAuthClientsWrite = 'oauth-clients:write',
  OAuthClientsDelete = 'oauth-clients:delete',
}

export const ALL_SCOPES: readonly Scope[] = Object.values(Scope);

const RESOURCE_NOUNS: Record<string, string> = {
  workspaces: 'workspaces and their settings',
  members: 'workspace memberships',
  users: 'user accounts of the workspace',
  roles: 'custom roles',
  'api-keys': 'workspace API keys',
  tokens: 'personal access tokens',
  webhooks: 'webhook endpoints and deliveries',
  posts: 'posts',
  entitlements: 'entitlements and usage',
  seo: 'SEO reports',
  mcp: 'the MCP gateway',
  audit: 'the audit log',
  'oauth-clients': 'the OAuth clients (third-party apps) you registered',
};
const VERBS: Record<string, string> = { read: 'Read', write: 'Create and update', delete: 'Delete' };

export function describeScope(scope: Scope): string {
  const [resource, action] = scope.split(':');
  return `${VERBS[action]} ${RESOURCE_NOUNS[resource]}.`;
}

/** Whether a granted pattern (`*`, `read`, `write`, `posts:*`, `posts:read`) covers a scope. */
function covers(pattern: string, scope: Scope): boolean {
  if (pattern === '*' || pattern === scope) return true;
  const [resource, action] = scope.split(':');
  if (pattern === action && (action === 'read' || action === 'write')) return true;
  return pattern === `${resource}:*`;
}

export function grants(patterns: readonly string[], scope: Scope): boolean {
  return patterns.some((p) => covers(p, scope));
}

/** Whether a string is a scope or a wildcard a credential may hold. */
export function isScopePattern(value: string): boolean {
  if (value === '*' || value === 'read' || value === 'write') return true;
  if (ALL_SCOPES.includes(value as Scope)) return true;
  return value.endsWith(':*') && ALL_SCOPES.some((s) => s.startsWith(value.slice(0, -1)));
}

/** Expands patterns into the concrete scopes they grant. */
export function expand(patterns: readonly string[]): Scope[] {
  return ALL_SCOPES.filter((s) => grants(patterns, s));
}
