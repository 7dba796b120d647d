import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import Redis from 'ioredis';
import { REDIS } from './redis.tokens';

const CHANNEL = 'tessera:credentials:revoked';

/** `promise`, or a rejection after `ms`: a Redis that does not answer must not hold a request. */
async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('timed out')), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
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
  /** Revocation marks Redis could not take yet: id → when the mark may lapse (ms). Written again until it answers. */
  private readonly pendingMarks = new Map<string, number>();
  private retryTimer?: NodeJS.Timeout;
  /**
   * Until when a missing mark proves nothing: a mark may have failed to reach Redis (in this or
   * another process) while it was down, so the database is asked too. As long as a mark lives.
   */
  private distrustMarksUntil = 0;
  private markWindowMs = 16 * 60_000;
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
    clearTimeout(this.retryTimer);
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
    if (this.entries.size > 50_000) this.evict();
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

  /**
   * Drops the credential everywhere; with `markSeconds`, also marks it revoked for that long. The
   * revocation itself is already in PostgreSQL, so a Redis outage must not fail it: a mark Redis
   * cannot take is kept here and written again until it can, this process refuses the id
   * meanwhile, and missing marks are checked against the database for as long as a mark lives.
   */
  async revoke(id: string, markSeconds?: number): Promise<void> {
    this.forget(id);
    if (markSeconds) this.markWindowMs = Math.max(this.markWindowMs, markSeconds * 1000);
    try {
      await withTimeout(
        (async () => {
          if (markSeconds) await this.redis.set(MARK(id), '1', 'EX', Math.ceil(markSeconds));
          await this.redis.publish(CHANNEL, id);
        })(),
        1_000,
      );
    } catch (err) {
      this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'revocation not published: Redis unavailable; retrying, and asking the database meanwhile');
      this.distrustMarks();
      if (markSeconds) {
        this.pendingMarks.set(id, Date.now() + markSeconds * 1000);
        this.scheduleRetry();
      }
    }
  }

  /**
   * Writes back marks Redis lacks (lost while it was down, or never written by a process that
   * died first); each restored one is also published, so caches drop the credential.
   */
  async restoreMarks(marks: ReadonlyArray<{ id: string; seconds: number }>): Promise<number> {
    let restored = 0;
    for (const { id, seconds } of marks) {
      if (seconds <= 0) continue;
      if ((await this.redis.set(MARK(id), '1', 'EX', seconds, 'NX')) === 'OK') {
        restored++;
        await this.redis.publish(CHANNEL, id);
      }
      this.pendingMarks.delete(id);
    }
    return restored;
  }

  /**
   * Whether the id was marked revoked. When Redis does not answer in time (logged), `fromStore`
   * answers instead: the revocation is also in PostgreSQL, and an access token of a revoked
   * session must not come back to life because Redis is down.
   */
  async isMarkedRevoked(id: string, fromStore: () => Promise<boolean>): Promise<boolean> {
    const pending = this.pendingMarks.get(id);
    if (pending !== undefined && pending > Date.now()) return true;
    try {
      const exists = await withTimeout(this.redis.exists(MARK(id)), 250);
      if (exists === 1) return true;
      return Date.now() < this.distrustMarksUntil ? fromStore() : false;
    } catch (err) {
      this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'revocation mark not checked: Redis unavailable, asking the database');
      this.distrustMarks();
      return fromStore();
    }
  }

  /** Makes room: expired entries first, then remembered misses (a flood of unknown keys must not push out the keys in use), then all. */
  private evict(): void {
    const now = Date.now();
    for (const [key, entry] of this.entries) if (entry.until < now) this.entries.delete(key);
    if (this.entries.size > 40_000) for (const [key, entry] of this.entries) if (entry.value === null) this.entries.delete(key);
    if (this.entries.size > 40_000) this.entries.clear();
  }

  private distrustMarks(): void {
    this.distrustMarksUntil = Date.now() + this.markWindowMs;
  }

  private scheduleRetry(): void {
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.writePendingMarks();
    }, 1_000);
    this.retryTimer.unref();
  }

  private async writePendingMarks(): Promise<void> {
    for (const [id, until] of this.pendingMarks) {
      const seconds = Math.ceil((until - Date.now()) / 1000);
      try {
        if (seconds > 0) {
          await this.redis.set(MARK(id), '1', 'EX', seconds);
          await this.redis.publish(CHANNEL, id);
        }
        this.pendingMarks.delete(id);
      } catch {
        break;
      }
    }
    if (this.pendingMarks.size) this.scheduleRetry();
  }

  private forget(id: string): void {
    for (const [key, entry] of this.entries) if (entry.id === id) this.entries.delete(key);
  }
}
