import { Inject, Injectable } from '@nestjs/common';
import { ApiError, hashSecret, newId, newSecret } from '@tessera/common';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { AccessTokensService } from '../auth/access-tokens.service';
import { BrowserSessionsService } from '../sessions/browser-sessions.service';
import { RefreshTokenEntity } from './refresh-token.entity';
import { SessionsRepository } from './sessions.repository';

export const REFRESH_TOKEN_PREFIX = 'tsr_rt_';

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: 'Bearer';
  expires_in: number;
}

/**
 * Sign-in sessions: a short-lived JWT plus an opaque refresh token that rotates on every use.
 * Presenting a refresh token that was already rotated means it leaked: the whole family dies.
 */
@Injectable()
export class SessionsService {
  constructor(
    private readonly repo: SessionsRepository,
    private readonly accessTokens: AccessTokensService,
    private readonly browserSessions: BrowserSessionsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Starts a new session family for a user, optionally bound to a workspace. */
  async start(userId: string, workspaceId: string | null): Promise<TokenPair> {
    return this.issue(userId, workspaceId, newId('ses'));
  }

  async refresh(refreshToken: string): Promise<{ pair: TokenPair; userId: string }> {
    const invalid = ApiError.unauthorized('The refresh token is invalid, expired or revoked.');
    if (!refreshToken.startsWith(REFRESH_TOKEN_PREFIX)) throw invalid;
    const token = await this.repo.findByHash(hashSecret(refreshToken));
    if (!token || token.revokedAt || token.expiresAt <= new Date()) throw invalid;
    if (token.rotatedAt) {
      await this.revokeFamily(token.familyId);
      throw ApiError.unauthorized('This refresh token was already used: the session has been revoked. Sign in again.');
    }
    const pair = await this.repo.transaction(async () => {
      if (!(await this.repo.markRotated(token.id))) return null;
      return this.issue(token.userId, token.workspaceId, token.familyId);
    });
    if (!pair) {
      await this.revokeFamily(token.familyId);
      throw ApiError.unauthorized('This refresh token was already used: the session has been revoked. Sign in again.');
    }
    return { pair, userId: token.userId };
  }

  async revokeFamily(familyId: string): Promise<void> {
    await this.repo.revokeFamily(familyId);
    await this.accessTokens.markSessionsRevoked([familyId]);
  }

  /**
   * Ends every sign-in of a user, token sessions and browser sessions alike (password reset or
   * change, "sign out everywhere"), but the one named (a session family or a browser session id);
   * returns how many.
   */
  async revokeAllForUser(userId: string, exceptId?: string): Promise<number> {
    const families = await this.repo.revokeAllForUser(userId, exceptId);
    await this.accessTokens.markSessionsRevoked(families);
    return families.length + (await this.browserSessions.revokeAllForUser(userId, exceptId ?? null));
  }

  /** Revokes the session a refresh token belongs to, if the token exists and is the user's. */
  async revokeByRefreshToken(refreshToken: string, userId?: string): Promise<boolean> {
    if (!refreshToken.startsWith(REFRESH_TOKEN_PREFIX)) return false;
    const token = await this.repo.findByHash(hashSecret(refreshToken));
    if (!token || (userId && token.userId !== userId)) return false;
    await this.revokeFamily(token.familyId);
    return true;
  }

  purgeExpired(): Promise<number> {
    return this.repo.purgeExpired();
  }

  private async issue(userId: string, workspaceId: string | null, familyId: string): Promise<TokenPair> {
    const refreshToken = newSecret(REFRESH_TOKEN_PREFIX);
    const now = new Date();
    await this.repo.insert(
      Object.assign(new RefreshTokenEntity(), {
        id: newId('ses'),
        familyId,
        userId,
        workspaceId,
        tokenHash: hashSecret(refreshToken),
        expiresAt: new Date(now.getTime() + this.config.refreshTokenTtlDays * 86_400_000),
        rotatedAt: null,
        revokedAt: null,
        createdAt: now,
      }),
    );
    const accessToken = await this.accessTokens.sign({ sub: userId, sid: familyId, ...(workspaceId ? { ws: workspaceId } : {}) });
    return { access_token: accessToken, refresh_token: refreshToken, token_type: 'Bearer', expires_in: this.config.accessTokenTtlSeconds };
  }
}
