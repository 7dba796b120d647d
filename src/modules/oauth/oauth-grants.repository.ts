import { Injectable } from '@nestjs/common';
import { ListQuery, Page } from '@tessera/common';
import { Database, paginate } from '@tessera/database';
import type { AdapterPayload } from 'oidc-provider';
import { OAuthGrantEntity } from './oauth-grant.entity';

/** The provider's models kept in PostgreSQL beside the grants (oauth_tokens.model). */
export type TokenModel = 'AccessToken' | 'AuthorizationCode' | 'RefreshToken';

const COLUMNS = { id: 'id', created_at: 'createdAt' };

/** An access token as the guard needs it: who, which app, which workspace, which scopes. */
export interface AccessTokenRow {
  grant_id: string;
  user_id: string;
  client_id: string;
  workspace_id: string;
  scope: string | null;
  client_scopes: string[];
  expires_at: Date;
}

/** What /me/authorizations shows beside a grant. */
export interface GrantLabels {
  id: string;
  client_name: string;
  workspace_slug: string;
  workspace_name: string;
}

/**
 * Grants (oauth_grants) and the tokens issued under them (oauth_tokens): the provider's storage
 * in PostgreSQL, and what the guard and /me/authorizations read. Tokens are found by the SHA-256
 * of their value, never by the value.
 */
@Injectable()
export class OAuthGrantsRepository {
  constructor(private readonly db: Database) {}

  private repo() {
    return this.db.repository(OAuthGrantEntity);
  }

  transaction<T>(work: () => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  /** The consent step's row; the provider's Grant payload is written into it right after. */
  async insertGrant(grant: OAuthGrantEntity): Promise<void> {
    await this.repo().insert(grant);
  }

  async findGrantPayload(id: string): Promise<AdapterPayload | null> {
    const rows = await this.db.query<Array<{ payload: AdapterPayload }>>(`SELECT payload FROM oauth_grants WHERE id = $1`, [id]);
    return rows[0]?.payload ?? null;
  }

  /** Writes the provider's Grant into its consent row; false when there is no such row (revoked). */
  async saveGrantPayload(id: string, payload: AdapterPayload, expiresAt: Date): Promise<boolean> {
    const rows = await this.db.query<unknown[]>(`WITH saved AS (UPDATE oauth_grants SET payload = $2, expires_at = $3 WHERE id = $1 RETURNING 1) SELECT * FROM saved`, [id, payload, expiresAt]);
    return rows.length === 1;
  }

  async deleteGrant(id: string): Promise<boolean> {
    const rows = await this.db.query<unknown[]>(`WITH gone AS (DELETE FROM oauth_grants WHERE id = $1 RETURNING 1) SELECT * FROM gone`, [id]);
    return rows.length === 1;
  }

  async workspaceOf(grantId: string): Promise<string | null> {
    const rows = await this.db.query<Array<{ workspace_id: string }>>(`SELECT workspace_id FROM oauth_grants WHERE id = $1`, [grantId]);
    return rows[0]?.workspace_id ?? null;
  }

  async upsertToken(model: TokenModel, idHash: Buffer, grantId: string, payload: AdapterPayload, expiresAt: Date): Promise<void> {
    await this.db.query(
      `INSERT INTO oauth_tokens (model, id_hash, grant_id, payload, expires_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (model, id_hash) DO UPDATE SET payload = excluded.payload, expires_at = excluded.expires_at`,
      [model, idHash, grantId, payload, expiresAt],
    );
  }

  async findToken(model: TokenModel, idHash: Buffer): Promise<AdapterPayload | null> {
    const rows = await this.db.query<Array<{ payload: AdapterPayload }>>(`SELECT payload FROM oauth_tokens WHERE model = $1 AND id_hash = $2`, [model, idHash]);
    return rows[0]?.payload ?? null;
  }

  /**
   * Marks a code or refresh token used, once: null when it was already used (or is gone), which
   * two requests racing with the same token find out here, whatever they read before.
   */
  async consumeToken(model: TokenModel, idHash: Buffer, at: number): Promise<{ grantId: string } | null> {
    const rows = await this.db.query<Array<{ grant_id: string }>>(
      `WITH used AS (
         UPDATE oauth_tokens SET consumed_at = now(), payload = payload || jsonb_build_object('consumed', $3::bigint)
          WHERE model = $1 AND id_hash = $2 AND consumed_at IS NULL RETURNING grant_id)
       SELECT grant_id FROM used`,
      [model, idHash, at],
    );
    return rows[0] ? { grantId: rows[0].grant_id } : null;
  }

  /** Deletes one token; returns its grant's id, or null when there was none. */
  async deleteToken(model: TokenModel, idHash: Buffer): Promise<string | null> {
    const rows = await this.db.query<Array<{ grant_id: string }>>(`WITH gone AS (DELETE FROM oauth_tokens WHERE model = $1 AND id_hash = $2 RETURNING grant_id) SELECT grant_id FROM gone`, [model, idHash]);
    return rows[0]?.grant_id ?? null;
  }

  async deleteTokensOfGrant(model: TokenModel, grantId: string): Promise<void> {
    await this.db.query(`DELETE FROM oauth_tokens WHERE model = $1 AND grant_id = $2`, [model, grantId]);
  }

  /** A live access token with its grant's binding and its client's current scopes; null when unknown, expired or revoked. */
  async findAccessToken(idHash: Buffer): Promise<AccessTokenRow | null> {
    const rows = await this.db.query<AccessTokenRow[]>(
      `SELECT g.id AS grant_id, g.user_id, g.client_id, g.workspace_id, t.payload->>'scope' AS scope, c.scopes AS client_scopes, t.expires_at
         FROM oauth_tokens t
         JOIN oauth_grants g ON g.id = t.grant_id
         JOIN oauth_clients c ON c.id = g.client_id
        WHERE t.model = 'AccessToken' AND t.id_hash = $1 AND t.expires_at > now() AND g.expires_at > now()`,
      [idHash],
    );
    return rows[0] ?? null;
  }

  listForUser(userId: string, list: ListQuery): Promise<Page<OAuthGrantEntity>> {
    const qb = this.repo().createQueryBuilder('g').where('g.user_id = :userId AND g.expires_at > now()', { userId });
    if (list.filters.client_id) qb.andWhere('g.client_id = :clientId', { clientId: list.filters.client_id });
    if (list.filters.workspace_id) qb.andWhere('g.workspace_id = :workspaceId', { workspaceId: list.filters.workspace_id });
    return paginate(qb, list, COLUMNS);
  }

  findForUser(userId: string, id: string): Promise<OAuthGrantEntity | null> {
    return this.repo().createQueryBuilder('g').where('g.id = :id AND g.user_id = :userId AND g.expires_at > now()', { id, userId }).getOne();
  }

  /** The app's name and the workspace's slug and name for each grant, in one query. */
  async labels(grantIds: string[]): Promise<GrantLabels[]> {
    if (!grantIds.length) return [];
    return this.db.query(
      `SELECT g.id, c.name AS client_name, w.slug AS workspace_slug, w.name AS workspace_name
         FROM oauth_grants g JOIN oauth_clients c ON c.id = g.client_id JOIN workspaces w ON w.id = g.workspace_id
        WHERE g.id = ANY($1)`,
      [grantIds],
    );
  }

  async deleteForUser(userId: string, id: string): Promise<boolean> {
    const rows = await this.db.query<unknown[]>(`WITH gone AS (DELETE FROM oauth_grants WHERE id = $1 AND user_id = $2 RETURNING 1) SELECT * FROM gone`, [id, userId]);
    return rows.length === 1;
  }

  /** Deletes every grant of a user (and so every token); returns their ids. */
  async deleteAllForUser(userId: string): Promise<string[]> {
    const rows = await this.db.query<Array<{ id: string }>>(`WITH gone AS (DELETE FROM oauth_grants WHERE user_id = $1 RETURNING id) SELECT id FROM gone`, [userId]);
    return rows.map((r) => r.id);
  }

  async grantIdsOfClient(clientId: string): Promise<string[]> {
    const rows = await this.db.query<Array<{ id: string }>>(`SELECT id FROM oauth_grants WHERE client_id = $1`, [clientId]);
    return rows.map((r) => r.id);
  }

  /**
   * Forgets tokens and grants that expired more than a day ago (until then, a late presentation
   * is told "expired"), 5,000 rows per statement so no statement runs long.
   */
  async purgeExpired(): Promise<number> {
    let purged = 0;
    for (const table of ['oauth_tokens', 'oauth_grants']) {
      for (;;) {
        const [{ n }] = await this.db.query<Array<{ n: number }>>(
          `WITH gone AS (DELETE FROM ${table} WHERE ctid IN (SELECT ctid FROM ${table} WHERE expires_at < now() - interval '1 day' LIMIT 5000) RETURNING 1)
           SELECT count(*)::int AS n FROM gone`,
        );
        purged += n;
        if (n < 5000) break;
      }
    }
    return purged;
  }
}
