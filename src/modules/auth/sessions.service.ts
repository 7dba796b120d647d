import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { ApiError, hashSecret, newId, newSecret } from '@tessera/common';
import { CredentialCache } from '@tessera/queue';
import { ApiKeysService } from '../api-keys/api-keys.service';
import { TokensService } from '../tokens/tokens.service';
import { APP_CONFIG, AppConfig, revocationMarkSeconds } from '../../config/config';
import { Principal, Tier } from './principal';
import { RefreshTokenEntity } from './refresh-token.entity';
import { SessionsRepository } from './sessions.repository';

export const REFRESH_TOKEN_PREFIX = 'tsr_rt_';

export interface AccessClaims {
  sub: string;
  sid: string;
  /** This token's own id: what revoking one access token marks. */
  jti?: string;
  /** Expiry, unix seconds (set by the signer). */
  exp?: number;
  ws?: string;
  /** Set on tokens exchanged for an API key or PAT: its kind, scopes and rate-limit tier. */
  knd?: 'api_key' | 'pat';
  scp?: string[];
  tier?: Tier | null;
}

/** The revocation mark of one access token (by its jti). */
const accessTokenMark = (jti: string) => `jti:${jti}`;

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
    private readonly jwt: JwtService,
    private readonly revocations: CredentialCache,
    private readonly apiKeys: ApiKeysService,
    private readonly tokens: TokensService,
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
    await this.markRevoked([familyId]);
  }

  /** Ends every session of a user (password reset or change), but the one named; returns how many. */
  async revokeAllForUser(userId: string, exceptFamilyId?: string): Promise<number> {
    const families = await this.repo.revokeAllForUser(userId, exceptFamilyId);
    await this.markRevoked(families);
    return families.length;
  }

  /** Revokes the session a refresh token belongs to, if the token exists and is the user's. */
  async revokeByRefreshToken(refreshToken: string, userId?: string): Promise<boolean> {
    if (!refreshToken.startsWith(REFRESH_TOKEN_PREFIX)) return false;
    const token = await this.repo.findByHash(hashSecret(refreshToken));
    if (!token || (userId && token.userId !== userId)) return false;
    await this.revokeFamily(token.familyId);
    return true;
  }

  /**
   * Whether the session behind an access token was revoked while the token may still be
   * unexpired; Redis marks answer first, PostgreSQL when Redis does not. A token exchanged for an
   * API key or PAT also dies with it: revoked, expired, or at the end of a rotation's grace period
   * set after the exchange (read through the credential cache, so a few seconds per process).
   */
  async isRevoked(claims: AccessClaims): Promise<boolean> {
    const jti = claims.jti;
    if (jti && (await this.revocations.isMarkedRevoked(accessTokenMark(jti), () => this.repo.isAccessTokenRevoked(jti)))) return true;
    const knd = claims.knd;
    if (!knd) return this.revocations.isMarkedRevoked(claims.sid, () => this.repo.isFamilyRevoked(claims.sid));
    const live = () =>
      this.revocations.lookup(`exchanged:${claims.sid}`, () => (knd === 'api_key' ? (claims.ws ? this.apiKeys.findLive(claims.ws, claims.sid) : Promise.resolve(null)) : this.tokens.findLive(claims.sub, claims.sid)));
    // Without Redis the credential's row answers; with it, the mark saves a query for a revoked one.
    if (await this.revocations.isMarkedRevoked(claims.sid, async () => !(await live()))) return true;
    return !(await live());
  }

  async verifyAccessToken(token: string): Promise<AccessClaims | null> {
    try {
      const claims = await this.jwt.verifyAsync<AccessClaims & { typ?: string }>(token);
      if (claims.typ !== 'access' || typeof claims.sub !== 'string' || typeof claims.sid !== 'string') return null;
      if (claims.knd !== undefined && claims.knd !== 'api_key' && claims.knd !== 'pat') return null;
      return claims;
    } catch {
      return null;
    }
  }

  /** A short-lived JWT carrying exactly the powers of the API key or PAT presented (for browser widgets). */
  async exchange(principal: Principal): Promise<{ access_token: string; token_type: 'Bearer'; expires_in: number }> {
    if (principal.kind === 'user') throw ApiError.badRequest('Present an API key or a personal access token to exchange.');
    // Re-exchanging would mint a fresh token from a token, forever, without the secret.
    if (principal.exchanged) throw ApiError.badRequest('This access token was already exchanged: present the API key or personal access token itself.');
    // Never past the credential's own end (its expiry, or the end of a rotation's grace period).
    const nowSeconds = Math.floor(Date.now() / 1000);
    const credentialEnd = principal.credentialExpiresAt ? Math.floor(principal.credentialExpiresAt / 1000) : Infinity;
    const expiresIn = Math.max(1, Math.min(this.config.accessTokenTtlSeconds, credentialEnd - nowSeconds));
    const claims: AccessClaims & { typ: string } = {
      typ: 'access',
      sub: principal.userId ?? principal.credentialId,
      sid: principal.credentialId,
      knd: principal.kind,
      scp: [...principal.scopes],
      ...(principal.rateLimitTier ? { tier: principal.rateLimitTier } : {}),
      ...(principal.boundWorkspaceId ? { ws: principal.boundWorkspaceId } : {}),
    };
    const token = await this.jwt.signAsync(claims, { expiresIn, jwtid: newId('ses').slice(4) });
    return { access_token: token, token_type: 'Bearer', expires_in: expiresIn };
  }

  /**
   * Revokes one access token (RFC 7009) if it is the caller's: a login's token of the same user, or
   * a token exchanged from the caller's own key or PAT. Every process refuses it at once (a Redis
   * mark), and so does PostgreSQL while Redis is away. An expired or foreign token: nothing happens.
   */
  async revokeAccessToken(token: string, principal: Principal): Promise<void> {
    const claims = await this.verifyAccessToken(token);
    if (!claims?.jti || !claims.exp) return;
    const mine = claims.knd ? claims.sid === principal.credentialId || (claims.knd === 'pat' && claims.sub === principal.userId) : claims.sub === principal.userId;
    if (!mine) return;
    const expiresAt = new Date(claims.exp * 1000);
    await this.repo.revokeAccessToken(claims.jti, expiresAt);
    await this.revocations.revoke(accessTokenMark(claims.jti), Math.max(1, claims.exp - Math.floor(Date.now() / 1000)) + 60);
  }

  purgeExpired(): Promise<number> {
    return this.repo.purgeExpired();
  }

  private async markRevoked(familyIds: string[]): Promise<void> {
    if (!familyIds.length) return;
    // Access tokens live at most accessTokenTtlSeconds: the mark only has to outlive them.
    await Promise.all(familyIds.map((id) => this.revocations.revoke(id, revocationMarkSeconds(this.config))));
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
    const claims: AccessClaims & { typ: string } = { sub: userId, sid: familyId, typ: 'access', ...(workspaceId ? { ws: workspaceId } : {}) };
    const accessToken = await this.jwt.signAsync(claims, { expiresIn: this.config.accessTokenTtlSeconds, jwtid: newId('ses').slice(4) });
    return { access_token: accessToken, refresh_token: refreshToken, token_type: 'Bearer', expires_in: this.config.accessTokenTtlSeconds };
  }
}
