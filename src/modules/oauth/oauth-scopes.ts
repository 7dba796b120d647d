import { ALL_SCOPES, grants, Scope } from '../auth/scopes';

/** OpenID Connect's own scopes, which any client may ask for beside its catalog scopes. */
export const OIDC_SCOPES = ['openid', 'offline_access', 'profile', 'email'] as const;
export type OidcScope = (typeof OIDC_SCOPES)[number];

/** Every scope the provider knows: OpenID Connect's and the Tessera catalog. */
export const PROVIDER_SCOPES: readonly string[] = [...OIDC_SCOPES, ...ALL_SCOPES];

const OIDC_DESCRIPTIONS: Record<OidcScope, string> = {
  openid: 'Know who you are (your account id).',
  offline_access: 'Keep access while you are away (a refresh token).',
  profile: 'See your name.',
  email: 'See your e-mail address.',
};

export function isOidcScope(scope: string): scope is OidcScope {
  return (OIDC_SCOPES as readonly string[]).includes(scope);
}

export function isCatalogScope(scope: string): scope is Scope {
  return (ALL_SCOPES as readonly string[]).includes(scope);
}

export function describeOidcScope(scope: OidcScope): string {
  return OIDC_DESCRIPTIONS[scope];
}

/**
 * What a consent in a workspace grants out of the scopes an app asked for: its OpenID Connect
 * scopes, and the catalog scopes the user's role there holds. The rest is refused: nobody grants
 * more than they hold (the guard checks the role again on every request, so a later demotion
 * narrows the app too).
 */
export function consentScopes(requested: readonly string[], roleScopes: readonly string[]): { granted: string[]; refused: Scope[] } {
  const granted: string[] = [];
  const refused: Scope[] = [];
  for (const scope of new Set(requested)) {
    if (isOidcScope(scope)) granted.push(scope);
    else if (isCatalogScope(scope)) (grants(roleScopes, scope) ? granted : refused).push(scope);
  }
  return { granted, refused };
}

/** The catalog scopes an access token may use: its own, still allowed to its client. */
export function tokenScopes(tokenScope: string | null, clientScopes: readonly string[]): Scope[] {
  const allowed = new Set(clientScopes);
  return (tokenScope ?? '').split(' ').filter((s): s is Scope => isCatalogScope(s) && allowed.has(s));
}
