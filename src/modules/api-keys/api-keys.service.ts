import { Inject, Injectable, Logger } from '@nestjs/common';
import { ApiError, hashSecret, isId, LastUsedThrottle, ListQuery, newId, newSecret, Page } from '@tessera/common';
import { CredentialCache } from '@tessera/queue';
import { APP_CONFIG, AppConfig, revocationMarkSeconds } from '../../config/config';
import { Tier, TIERS, WorkspaceAccess } from '../auth/principal';
import { ApiKeyEntity } from './api-key.entity';
import { keyStatus } from './api-key.presenter';
import { ApiKeysRepository } from './api-keys.repository';

export const API_KEY_PATTERN = /^sk_(live|test)_[A-Za-z0-9_-]{43}$/;

export interface VerifiedApiKey {
  id: string;
  workspaceId: string;
  scopes: string[];
  rateLimitTier: Tier | null;
  /** The tier of the key's workspace: the ceiling of the key's own. */
  workspaceTier: Tier;
  expiresAt: number | null;
}

/** Workspace API keys: random 256-bit secrets, stored as SHA-256, verified without a slow KDF. */
@Injectable()
export class ApiKeysService {
  private readonly logger = new Logger(ApiKeysService.name);
  private readonly lastUsed = new LastUsedThrottle();

  constructor(
    private readonly repo: ApiKeysRepository,
    private readonly cache: CredentialCache,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  list(workspaceId: string, list: ListQuery): Promise<Page<ApiKeyEntity>> {
    return this.repo.list(workspaceId, list);
  }

  async get(workspaceId: string, id: string): Promise<ApiKeyEntity> {
    const key = isId('key', id) ? await this.repo.find(workspaceId, id) : null;
    if (!key) throw ApiError.notFound('API key');
    return key;
  }

  async create(
    ws: Pick<WorkspaceAccess, 'id' | 'tier'>,
    createdBy: string | null,
    input: { name: string; scopes?: string[]; rate_limit_tier?: Tier; expires_at?: string; environment?: 'live' | 'test' },
  ): Promise<{ key: ApiKeyEntity; secret: string }> {
    const workspaceId = ws.id;
    if (input.rate_limit_tier && TIERS.indexOf(input.rate_limit_tier) > TIERS.indexOf(ws.tier)) {
      throw ApiError.validation({ rate_limit_tier: [`cannot exceed the workspace's tier (${ws.tier})`] });
    }
    const expiresAt = input.expires_at ? new Date(input.expires_at) : null;
    if (expiresAt && expiresAt <= new Date()) throw ApiError.validation({ expires_at: ['must be in the future'] });
    const environment = input.environment ?? 'live';
    const secret = newSecret(`sk_${environment}_`);
    const now = new Date();
    const key = Object.assign(new ApiKeyEntity(), {
      id: newId('key'),
      workspaceId,
      createdBy,
      name: input.name.trim(),
      prefix: secret.slice(0, 12),
      keyHash: hashSecret(secret),
      environment,
      scopes: [...new Set(input.scopes ?? ['read', 'write'])],
      rateLimitTier: input.rate_limit_tier ?? null,
      expiresAt,
      revokedAt: null,
      rotatedTo: null,
      lastUsedAt: null,
      createdAt: now,
      updatedAt: now,
    });
    await this.repo.insert(key);
    return { key, secret };
  }

  /**
   * A new key with the same name, scopes and settings; the old one keeps working for the grace
   * period, then answers 401 like any expired key.
   */
  /**
   * Rotation: the new key keeps the old one's settings (its expiry capped at `expiresAt`); a key
   * is rotated once, even by concurrent calls (the old row changes only while still active).
   */
  async rotate(workspaceId: string, id: string, createdBy: string | null, graceHours: number, expiresAt: Date | null): Promise<{ key: ApiKeyEntity; secret: string; graceEndsAt: Date }> {
    const old = await this.get(workspaceId, id);
    if (keyStatus(old) !== 'active') throw ApiError.conflict(`This key is ${keyStatus(old)}: only an active key can be rotated.`);
    const graceEndsAt = new Date(Date.now() + Math.round(graceHours * 3_600_000));
    const result = await this.repo.transaction(async () => {
      const secret = newSecret(`sk_${old.environment}_`);
      const now = new Date();
      const key = Object.assign(new ApiKeyEntity(), {
        ...old,
        id: newId('key'),
        // Rotated by another key: the new one keeps the maker it had.
        createdBy: createdBy ?? old.createdBy,
        expiresAt,
        prefix: secret.slice(0, 12),
        keyHash: hashSecret(secret),
        lastUsedAt: null,
        rotatedTo: null,
        createdAt: now,
        updatedAt: now,
      });
      await this.repo.insert(key);
      const ends = old.expiresAt && old.expiresAt < graceEndsAt ? old.expiresAt : graceEndsAt;
      const patch = graceHours === 0 ? { revokedAt: now, rotatedTo: key.id } : { expiresAt: ends, rotatedTo: key.id };
      if (!(await this.repo.updateIfActive(workspaceId, old.id, patch))) throw ApiError.conflict('This key was rotated or revoked meanwhile: only an active key can be rotated.');
      return { key, secret, graceEndsAt: ends };
    });
    // Every process must re-read the old key: its expiry changed.
    await this.cache.revoke(old.id, graceHours === 0 ? revocationMarkSeconds(this.config) : undefined);
    return result;
  }

  async revoke(workspaceId: string, id: string): Promise<void> {
    const key = await this.get(workspaceId, id);
    if (!key.revokedAt) await this.repo.update(workspaceId, id, { revokedAt: new Date() });
    // The mark outlives any access token minted from this key (GET /auth/token).
    await this.cache.revoke(id, revocationMarkSeconds(this.config));
  }

  /** The key's id and expiry when it exists and is not revoked (read from the database), else null. */
  async findLive(workspaceId: string, id: string): Promise<{ id: string; expiresAt: number | null } | null> {
    const key = isId('key', id) ? await this.repo.find(workspaceId, id) : null;
    return key && !key.revokedAt ? { id: key.id, expiresAt: key.expiresAt?.getTime() ?? null } : null;
  }

  /** Whether this secret was verified in this process moments ago (no query needed to trust it). */
  isVerified(secret: string, hash: Buffer = hashSecret(secret)): boolean {
    return API_KEY_PATTERN.test(secret) && this.cache.has(hash.toString('hex'));
  }

  /** The active key behind a secret, or null. Cached for a few seconds; revocations reach every process at once. */
  async verify(secret: string, hash: Buffer = hashSecret(secret)): Promise<VerifiedApiKey | null> {
    if (!API_KEY_PATTERN.test(secret)) return null;
    const verified = await this.cache.lookup<VerifiedApiKey>(hash.toString('hex'), async () => {
      const found = await this.repo.findByHash(hash);
      if (!found || found.key.revokedAt) return null;
      const { key, workspaceTier } = found;
      return { id: key.id, workspaceId: key.workspaceId, scopes: key.scopes, rateLimitTier: key.rateLimitTier, workspaceTier, expiresAt: key.expiresAt?.getTime() ?? null };
    });
    if (verified && this.lastUsed.shouldWrite(verified.id)) {
      this.repo.touch(verified.id).catch((err: unknown) => this.logger.warn({ err }, 'last_used_at not written'));
    }
    return verified;
  }
}
