import { Injectable } from '@nestjs/common';
import { ApiError, hashSecret, isId, ListQuery, newId, Page } from '@tessera/common';
import { CredentialCache } from '@tessera/queue';
import type { Provider } from 'oidc-provider';
import { Scope } from '../auth/scopes';
import { OAuthGrantEntity } from './oauth-grant.entity';
import { GrantLabels, OAuthGrantsRepository } from './oauth-grants.repository';
import { isCatalogScope, tokenScopes } from './oauth-scopes';

/** The provider's access tokens: 256 random bits, base64url, no prefix (oidc-provider makes them). */
const ACCESS_TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** An OAuth access token the guard accepts: who, which app, which workspace, which scopes, until when. */
export interface VerifiedOAuthToken {
  /** The grant (authorization) it was issued under: what revocations name. */
  id: string;
  userId: string;
  clientId: string;
  workspaceId: string;
  scopes: Scope[];
  /** ms since epoch. */
  expiresAt: number;
}

export interface NewGrant {
  userId: string;
  clientId: string;
  workspaceId: string;
  /** OpenID Connect and catalog scopes granted; catalog scopes the role did not hold are refused. */
  granted: string[];
  refused: string[];
  claims: string[];
}

/**
 * Authorizations: what users granted apps, each in one workspace, and the access tokens issued
 * under them. Verified tokens are cached a few seconds per process (like PATs) under their grant;
 * revoking a grant or a token drops them in every process at once.
 */
@Injectable()
export class OAuthGrantsService {
  /** An authorization lasts a year; then the app asks again. Refresh tokens end sooner unless used. */
  static readonly GRANT_TTL_SECONDS = 365 * 86_400;

  constructor(
    private readonly repo: OAuthGrantsRepository,
    private readonly cache: CredentialCache,
  ) {}

  static looksLikeAccessToken(credential: string): boolean {
    return ACCESS_TOKEN_SHAPE.test(credential);
  }

  /** The consent: the grant row, bound to its workspace, and the provider's Grant in it, in one transaction. */
  async create(provider: Provider, input: NewGrant): Promise<string> {
    const id = newId('oag');
    const now = new Date();
    await this.repo.transaction(async () => {
      await this.repo.insertGrant(
        Object.assign(new OAuthGrantEntity(), {
          id,
          userId: input.userId,
          clientId: input.clientId,
          workspaceId: input.workspaceId,
          scopes: input.granted.filter(isCatalogScope),
          createdAt: now,
          expiresAt: new Date(now.getTime() + OAuthGrantsService.GRANT_TTL_SECONDS * 1000),
        }),
      );
      const grant = new provider.Grant({ jti: id, accountId: input.userId, clientId: input.clientId });
      if (input.granted.length) grant.addOIDCScope(input.granted.join(' '));
      if (input.refused.length) grant.rejectOIDCScope(input.refused.join(' '));
      if (input.claims.length) grant.addOIDCClaims(input.claims);
      await grant.save();
    });
    return id;
  }

  workspaceOf(grantId: string): Promise<string | null> {
    return this.repo.workspaceOf(grantId);
  }

  /** Whether this token was verified in this process moments ago (no query needed to trust it). */
  isVerified(token: string): boolean {
    return ACCESS_TOKEN_SHAPE.test(token) && this.cache.has(hashSecret(token).toString('hex'));
  }

  /** The live access token presented, or null (unknown, expired, revoked, or its grant revoked). */
  verify(token: string): Promise<VerifiedOAuthToken | null> {
    if (!ACCESS_TOKEN_SHAPE.test(token)) return Promise.resolve(null);
    const hash = hashSecret(token);
    return this.cache.lookup<VerifiedOAuthToken>(hash.toString('hex'), async () => {
      const row = await this.repo.findAccessToken(hash);
      if (!row) return null;
      return { id: row.grant_id, userId: row.user_id, clientId: row.client_id, workspaceId: row.workspace_id, scopes: tokenScopes(row.scope, row.client_scopes), expiresAt: new Date(row.expires_at).getTime() };
    });
  }

  listForUser(userId: string, list: ListQuery): Promise<Page<OAuthGrantEntity>> {
    return this.repo.listForUser(userId, list);
  }

  labels(grantIds: string[]): Promise<GrantLabels[]> {
    return this.repo.labels(grantIds);
  }

  async getForUser(userId: string, id: string): Promise<OAuthGrantEntity> {
    const grant = isId('oag', id) ? await this.repo.findForUser(userId, id) : null;
    if (!grant) throw ApiError.notFound('Authorization');
    return grant;
  }

  /** Revokes one of the user's authorizations: every token issued under it stops working at once. */
  async revokeForUser(userId: string, id: string): Promise<void> {
    if (!isId('oag', id) || !(await this.repo.deleteForUser(userId, id))) throw ApiError.notFound('Authorization');
    await this.cache.revoke(id);
  }

  /** Revokes every authorization of a user (account recovery); returns how many. */
  async revokeAllForUser(userId: string): Promise<number> {
    const ids = await this.repo.deleteAllForUser(userId);
    await Promise.all(ids.map((id) => this.cache.revoke(id)));
    return ids.length;
  }

  /** After an app was deleted: its authorizations (already gone with it) are forgotten by every process. */
  async forgetGrants(grantIds: string[]): Promise<void> {
    await Promise.all(grantIds.map((id) => this.cache.revoke(id)));
  }

  grantIdsOfClient(clientId: string): Promise<string[]> {
    return this.repo.grantIdsOfClient(clientId);
  }

  purgeExpired(): Promise<number> {
    return this.repo.purgeExpired();
  }
}
