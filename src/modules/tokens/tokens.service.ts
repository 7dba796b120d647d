import { Inject, Injectable, Logger } from '@nestjs/common';
import { ApiError, hashSecret, isId, LastUsedThrottle, ListQuery, newId, newSecret, Page } from '@tessera/common';
import { CredentialCache } from '@tessera/queue';
import { APP_CONFIG, AppConfig, revocationMarkSeconds } from '../../config/config';
import { PersonalAccessTokenEntity } from './personal-access-token.entity';
import { TokensRepository } from './tokens.repository';

export const PAT_PREFIX = 'tsr_pat_';
const PAT_PATTERN = /^tsr_pat_[A-Za-z0-9_-]{43}$/;

export interface VerifiedToken {
  id: string;
  userId: string;
  workspaceId: string | null;
  scopes: string[];
  expiresAt: number | null;
}

/** Personal access tokens: a user's own credential for scripts, scoped and optionally pinned to a workspace. */
@Injectable()
export class TokensService {
  private readonly logger = new Logger(TokensService.name);
  private readonly lastUsed = new LastUsedThrottle();

  constructor(
    private readonly repo: TokensRepository,
    private readonly cache: CredentialCache,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  list(userId: string, list: ListQuery): Promise<Page<PersonalAccessTokenEntity>> {
    return this.repo.list(userId, list);
  }

  async create(userId: string, input: { name: string; scopes: string[]; workspaceId: string | null; expires_at?: string }): Promise<{ token: PersonalAccessTokenEntity; secret: string }> {
    const expiresAt = input.expires_at ? new Date(input.expires_at) : null;
    if (expiresAt && expiresAt <= new Date()) throw ApiError.validation({ expires_at: ['must be in the future'] });
    const secret = newSecret(PAT_PREFIX);
    const now = new Date();
    const token = Object.assign(new PersonalAccessTokenEntity(), {
      id: newId('pat'),
      userId,
      workspaceId: input.workspaceId,
      name: input.name.trim(),
      prefix: secret.slice(0, 12),
      tokenHash: hashSecret(secret),
      scopes: [...new Set(input.scopes)],
      expiresAt,
      revokedAt: null,
      lastUsedAt: null,
      createdAt: now,
      updatedAt: now,
    });
    await this.repo.insert(token);
    return { token, secret };
  }

  async revoke(userId: string, id: string): Promise<void> {
    const token = isId('pat', id) ? await this.repo.find(userId, id) : null;
    if (!token || token.revokedAt) throw ApiError.notFound('Token');
    await this.repo.revoke(userId, id);
    await this.cache.revoke(id, revocationMarkSeconds(this.config));
  }

  /** Revokes every token of a user (account recovery); returns how many. */
  async revokeAllForUser(userId: string): Promise<number> {
    const ids = await this.repo.revokeAllForUser(userId);
    await Promise.all(ids.map((id) => this.cache.revoke(id, revocationMarkSeconds(this.config))));
    return ids.length;
  }

  /** Revokes a token presented by value, if it is the user's; false otherwise. */
  async revokeBySecret(secret: string, userId: string | null): Promise<boolean> {
    if (!PAT_PATTERN.test(secret)) return false;
    const token = await this.repo.findByHash(hashSecret(secret));
    if (!token || (userId && token.userId !== userId)) return false;
    await this.repo.revoke(token.userId, token.id);
    await this.cache.revoke(token.id, revocationMarkSeconds(this.config));
    return true;
  }

  /** Whether this secret was verified in this process moments ago (no query needed to trust it). */
  isVerified(secret: string, hash: Buffer = hashSecret(secret)): boolean {
    return PAT_PATTERN.test(secret) && this.cache.has(hash.toString('hex'));
  }

  /** The token's id and expiry when it exists and is not revoked (read from the database), else null. */
  async findLive(userId: string, id: string): Promise<{ id: string; expiresAt: number | null } | null> {
    const token = isId('pat', id) ? await this.repo.find(userId, id) : null;
    return token && !token.revokedAt ? { id: token.id, expiresAt: token.expiresAt?.getTime() ?? null } : null;
  }

  async verify(secret: string, hash: Buffer = hashSecret(secret)): Promise<VerifiedToken | null> {
    if (!PAT_PATTERN.test(secret)) return null;
    const verified = await this.cache.lookup<VerifiedToken>(hash.toString('hex'), async () => {
      const t = await this.repo.findByHash(hash);
      return t && !t.revokedAt ? { id: t.id, userId: t.userId, workspaceId: t.workspaceId, scopes: t.scopes, expiresAt: t.expiresAt?.getTime() ?? null } : null;
    });
    if (verified && this.lastUsed.shouldWrite(verified.id)) {
      this.repo.touch(verified.id).catch((err: unknown) => this.logger.warn({ err }, 'last_used_at not written'));
    }
    return verified;
  }
}
