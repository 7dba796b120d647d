import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { DataSource, EntityManager, EntityTarget, ObjectLiteral, Repository } from 'typeorm';

const ambient = new AsyncLocalStorage<EntityManager>();

/**
 * The one door to PostgreSQL for domain code. Inside `transaction()` every query made through it,
 * from any repository or service, runs on that transaction's connection: no code path can hold a
 * connection and wait for a second one, which is what deadlocked the pool under load. Outside a
 * transaction it uses the pool. Repositories take this, never TypeORM's DataSource or an
 * EntityManager (a unit spec refuses both in src/).
 */
@Injectable()
export class Database {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /** The open transaction's manager, else the pool's. */
  get manager(): EntityManager {
    const tx = ambient.getStore();
    // After commit the transaction's connection is back in the pool; late work (a fire-and-forget
    // write started inside the transaction) then takes its own connection like any other query.
    return tx && !tx.queryRunner?.isReleased ? tx : this.ds.manager;
  }

  get inTransaction(): boolean {
    const tx = ambient.getStore();
    return !!tx && !tx.queryRunner?.isReleased;
  }

  /** The pool's occupancy, for readiness: connections open, idle, and queries waiting for one. */
  poolStats(): { max: number; total: number; idle: number; waiting: number } {
    const pool = (this.ds.driver as unknown as { master?: { totalCount: number; idleCount: number; waitingCount: number; options?: { max?: number } } }).master;
    return { max: pool?.options?.max ?? 0, total: pool?.totalCount ?? 0, idle: pool?.idleCount ?? 0, waiting: pool?.waitingCount ?? 0 };
  }

  /**
   * A hand-written read, for hot paths: rows as the driver returns them, no entity hydration.
   * Outside a transaction it runs as a named (prepared) statement on a pooled connection (planned
   * once per connection); inside one, on the transaction's connection like every other query.
   */
  async rows<T>(statement: { name?: string; text: string; values: unknown[] }): Promise<T[]> {
    if (this.inTransaction) return this.manager.query(statement.text, statement.values);
    const pool = (this.ds.driver as unknown as { master: { query(config: { name?: string; text: string; values: unknown[] }): Promise<{ rows: T[] }> } }).master;
    return (await pool.query(statement)).rows;
  }

  repository<T extends ObjectLiteral>(entity: EntityTarget<T>): Repository<T> {
    return this.manager.getRepository(entity);
  }

  query<T = unknown>(sql: string, params?: unknown[]): Promise<T> {
    return this.manager.query(sql, params);
  }

  /** Runs `work` in a transaction, or inside the one already open (nested calls join it). */
  transaction<T>(work: () => Promise<T>): Promise<T> {
    if (this.inTransaction) return work();
    return this.ds.transaction((tx) => ambient.run(tx, work));
  }

  /** Inside a transaction: `work` under a savepoint, so that its failure does not abort the transaction. */
  async savepoint<T>(name: string, work: () => Promise<T>): Promise<T> {
    if (!this.inTransaction) throw new Error('savepoint() needs an open transaction');
    await this.query(`SAVEPOINT ${name}`);
    try {
      const result = await work();
      await this.query(`RELEASE SAVEPOINT ${name}`);
      return result;
    } catch (err) {
      await this.query(`ROLLBACK TO SAVEPOINT ${name}`);
      throw err;
    }
  }
}
