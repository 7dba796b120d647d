import { Injectable } from '@nestjs/common';
import { Database } from '@tessera/database';

export type SigningKeyState = 'next' | 'active' | 'retired';

export interface SigningKeyRow {
  id: string;
  public_jwk: Record<string, unknown>;
  private_jwk_sealed: string;
  state: SigningKeyState;
  created_at: Date;
  activated_at: Date | null;
  retired_at: Date | null;
}

export interface NewSigningKey {
  id: string;
  publicJwk: Record<string, unknown>;
  privateJwkSealed: string;
}

/** The provider's signing keys: one active, one next, and the recently retired ones. */
@Injectable()
export class SigningKeysRepository {
  constructor(private readonly db: Database) {}

  transaction<T>(work: () => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  /** Every key still published: active and next, and the ones retired less than `retainSeconds` ago. Active first. */
  published(retainSeconds: number): Promise<SigningKeyRow[]> {
    return this.db.query(
      `SELECT id, public_jwk, private_jwk_sealed, state, created_at, activated_at, retired_at FROM oauth_signing_keys
        WHERE state <> 'retired' OR retired_at > now() - make_interval(secs => $1)
        ORDER BY CASE state WHEN 'active' THEN 0 WHEN 'next' THEN 1 ELSE 2 END, created_at DESC`,
      [retainSeconds],
    );
  }

  /** Inserts a key in `state` unless one already holds that state (several processes may start at once); true when inserted. */
  async insertIfVacant(key: NewSigningKey, state: 'active' | 'next'): Promise<boolean> {
    const rows = await this.db.query<unknown[]>(
      `WITH added AS (
         INSERT INTO oauth_signing_keys (id, alg, public_jwk, private_jwk_sealed, state, activated_at)
         VALUES ($1, 'RS256', $2, $3, $4, CASE WHEN $4 = 'active' THEN now() END)
         ON CONFLICT (state) WHERE state = '${state}' DO NOTHING RETURNING 1)
       SELECT * FROM added`,
      [key.id, key.publicJwk, key.privateJwkSealed, state],
    );
    return rows.length === 1;
  }

  /** Inside a transaction: holds every key row until it ends, so two rotations run one after the other. */
  async lockAll(): Promise<Array<{ id: string; state: SigningKeyState }>> {
    return this.db.query(`SELECT id, state FROM oauth_signing_keys WHERE state <> 'retired' ORDER BY id FOR UPDATE`);
  }

  async setState(id: string, state: SigningKeyState): Promise<void> {
    await this.db.query(
      `UPDATE oauth_signing_keys SET state = $2,
              activated_at = CASE WHEN $2 = 'active' THEN now() ELSE activated_at END,
              retired_at = CASE WHEN $2 = 'retired' THEN now() ELSE retired_at END
        WHERE id = $1`,
      [id, state],
    );
  }

  async purgeRetired(retainSeconds: number): Promise<number> {
    const rows = await this.db.query<unknown[]>(
      `WITH gone AS (DELETE FROM oauth_signing_keys WHERE state = 'retired' AND retired_at < now() - make_interval(secs => $1) RETURNING 1) SELECT * FROM gone`,
      [retainSeconds],
    );
    return rows.length;
  }
}
