import { describe, expect, it } from 'vitest';
import { BUILT_IN_ROLE_SCOPES } from '../auth/roles';
import { consentScopes, tokenScopes } from './oauth-scopes';

describe(consentScopes.name, () => {
  it('should grant the OpenID Connect scopes and the catalog scopes the role holds', () => {
    expect(consentScopes(['openid', 'email', 'posts:read', 'posts:write'], BUILT_IN_ROLE_SCOPES.member)).toEqual({ granted: ['openid', 'email', 'posts:read', 'posts:write'], refused: [] });
  });

  it('should refuse what the role does not hold, never more than the granter has', () => {
    expect(consentScopes(['openid', 'posts:read', 'posts:write', 'members:write'], BUILT_IN_ROLE_SCOPES.viewer)).toEqual({ granted: ['openid', 'posts:read'], refused: ['posts:write', 'members:write'] });
  });

  it('should ignore scopes that are in neither list, and repeats', () => {
    expect(consentScopes(['openid', 'openid', 'admin', 'posts:read'], ['*'])).toEqual({ granted: ['openid', 'posts:read'], refused: [] });
  });
});

describe(tokenScopes.name, () => {
  it('should keep the catalog scopes of the token that its client may still ask for', () => {
    expect(tokenScopes('openid offline_access posts:read posts:write', ['posts:read'])).toEqual(['posts:read']);
    expect(tokenScopes(null, ['posts:read'])).toEqual([]);
  });
});
