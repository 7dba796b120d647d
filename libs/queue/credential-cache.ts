import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import Redis from 'ioredis';
import { REDIS } from './redis.tokens';

const CHANNEL = 'tessera:credentials:revoked';
const MARK = (id: string) => `tessera:auth:revoked:${id}`;

interface Entry {
  id: string;
  /** Null: no credential has this hash (a negative entry). */
  value: unknown;
  until: number;
}

/**
 * What the guard verifies on every request (credentials, workspace access), kept in this process
 * for a few seconds so a hot API key costs no query. Entries belong to a group id (a credential,
 * a workspace); revoke(id) is published on Redis and every API process drops the group at once,
 * and an optional mark (with a TTL) tells any process that a credential, or a token minted from
 * it, is dead.
 */
@Injectable()
export class CredentialCache implements OnModuleInit, OnModuleDestroy {
  static readonly TTL_MS = 5_000;
  /**
   * How long "no credential has this hash" is remembered, so a repeated unknown secret costs no
   * query. Short, though it could be longer: secrets are 256 random bits, so a hash that was
   * unknown never becomes a new key's; but a revoked key also answers null.
   */
  static readonly MISS_TTL_MS = 2_000;
  private readonly entries = new Map<string, Entry>();
  private subscriber?: Redis;
  private readonly logger = new Logger(CredentialCache.name);

  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async onModuleInit(): Promise<void> {
    this.subscriber = this.redis.duplicate();
    this.subscriber.on('message', (_channel: string, id: string) => this.forget(id));
    this.subscriber.on('error', (err: Error) => this.logger.warn({ err: err.message }, 'revocation subscriber error'));
    await this.subscriber.subscribe(CHANNEL);
  }

  async onModuleDestroy(): Promise<void> {
    await this.subscriber?.quit().catch(() => this.subscriber?.disconnect());
  }

  /** The cached value; null for a cached miss, undefined when nothing is cached. */
  get<T>(hashHex: string): T | null | undefined {
    const entry = this.entries.get(hashHex);
    if (!entry) return undefined;
    if (entry.until < Date.now()) {
      this.entries.delete(hashHex);
      return undefined;
    }
    return entry.value as T | null;
  }

  /** Whether a credential with this hash was verified in this process within the TTL. */
  has(hashHex: string): boolean {
    return this.get(hashHex) != null;
  }

  set(hashHex: string, id: string, value: unknown, ttlMs = CredentialCache.TTL_MS): void {
    if (this.entries.size > 50_000) this.entries.clear();
    this.entries.set(hashHex, { id, value, until: Date.now() + ttlMs });
  }

  /**
   * A credential by the hash of its secret: from this process's cache, else from `load` (a hit is
   * cached for TTL_MS, a miss for MISS_TTL_MS). Null when unknown, revoked (load answers null) or
   * past its expiresAt.
   */
  async lookup<T extends { id: string; expiresAt: number | null }>(hashHex: string, load: () => Promise<T | null>): Promise<T | null> {
    let value = this.get<T>(hashHex);
    if (value === null) return null;
    if (value === undefined) {
      const loaded = await load();
      if (!loaded) {
        this.set(hashHex, '', null, CredentialCache.MISS_TTL_MS);
        return null;
      }
      this.set(hashHex, loaded.id, loaded);
      value = loaded;
    }
    return value.expiresAt !== null && value.expiresAt <= Date.now() ? null : value;
  }

  /** Drops the credential everywhere; with `markSeconds`, also marks it revoked for that long. */
  async revoke(id: string, markSeconds?: number): Promise<void> {
    this.forget(id);
    if (markSeconds) await this.redis.set(MARK(id), '1', 'EX', Math.ceil(markSeconds));
    await this.redis.publish(CHANNEL, id);
  }

  /**
   * Whether the id was marked revoked. When Redis does not answer in time (logged), `fromStore`
   * answers instead: the revocation is also in PostgreSQL, and an access token of a revoked
   * session must not come back to life because Redis is down.
   */
  async isMarkedRevoked(id: string, fromStore: () => Promise<boolean>): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const exists = await Promise.race([
        this.redis.exists(MARK(id)),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('timed out')), 250);
        }),
      ]);
      return exists === 1;
    } catch (err) {
      this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'revocation mark not checked: Redis unavailable, asking the database');
      return fromStore();
    } finally {
      clearTimeout(timer);
    }
  }

  private forget(id: string): void {
    for (const [key, entry] of this.entries) if (entry.id === id) this.entries.delete(key);
  }
}
