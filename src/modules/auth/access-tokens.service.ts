import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { ApiError, newId } from '@tessera/common';
import { CredentialCache } from '@tessera/queue';
import { APP_CONFIG, AppConfig, revocationMarkSeconds } from '../../config/config';
import { ApiKeysService } from '../api-keys/api-keys.service';
import { TokensService } from '../tokens/tokens.service';
import { AccessTokensRepository } from './access-tokens.repository';
import { Principal, Tier } from './principal';

export interface AccessClaims {
  sub: string;
  /** The sign-in session (refresh-token family), or the API key / PAT an exchanged token came from. */
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

/**
 * Access tokens (JWT): signing, verifying, and whether one was revoked. The access core that the
 * guard relies on; sign-in sessions (the accounts module) and GET /auth/token mint through it.
 */
@Injectable()
export class AccessTokensService implements OnModuleInit, OnModuleDestroy {
  /** How often each process writes back revocation marks Redis may have lost. */
  static readonly RECONCILE_MS = 30_000;
  private readonly logger = new Logger(AccessTokensService.name);
  private reconciler?: NodeJS.Timeout;

  constructor(
    private readonly repo: AccessTokensRepository,
    private readonly jwt: JwtService,
    private readonly revocations: CredentialCache,
    private readonly apiKeys: ApiKeysService,
    private readonly tokens: TokensService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.reconciler = setInterval(() => {
      this.reconcileMarks().catch((err: unknown) => this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'revocation marks not reconciled'));
    }, AccessTokensService.RECONCILE_MS);
    this.reconciler.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.reconciler);
  }

  /**
   * PostgreSQL holds every revocation; Redis holds the marks the request path reads. A mark that
   * could not be written while Redis was down (by this or any other process, even one that has
   * since died) is written back here, so a revoked token never comes back to life.
   */
  async reconcileMarks(): Promise<number> {
    return this.revocations.restoreMarks(await this.repo.recentRevocations(revocationMarkSeconds(this.config)));
  }

  /** A signed access token with its own id, valid `expiresIn` seconds (the configured TTL by default). */
  sign(claims: Omit<AccessClaims, 'jti' | 'exp'>, expiresIn = this.config.accessTokenTtlSeconds): Promise<string> {
    return this.jwt.signAsync({ ...claims, typ: 'access' }, { expiresIn, jwtid: newId('ses').slice(4) });
  }

  async verify(token: string): Promise<AccessClaims | null> {
    try {
      const claims = await this.jwt.verifyAsync<AccessClaims & { typ?: string }>(token);
      if (claims.typ !== 'access' || typeof claims.sub !== 'string' || typeof claims.sid !== 'string') return null;
      if (claims.knd !== undefined && claims.knd !== 'api_key' && claims.knd !== 'pat') return null;
      return claims;
    } catch {
      return null;
    }
  }

  /**
   * Whether a token, or the session behind it, was revoked while the token may still be
   * unexpired; Redis marks answer first, PostgreSQL when Redis does not. A token exchanged for an
   * API key or PAT also dies with it: revoked, expired, or at the end of a rotation's grace period
   * set after the exchange (read through the credential cache, so a few seconds per process).
   */
  async isRevoked(claims: AccessClaims): Promise<boolean> {
    const jti = claims.jti;
    if (jti && (await this.revocations.isMarkedRevoked(accessTokenMark(jti), () => this.repo.isRevoked(jti)))) return true;
    const knd = claims.knd;
    if (!knd) return this.revocations.isMarkedRevoked(claims.sid, () => this.repo.isSessionRevoked(claims.sid));
    const live = () =>
      this.revocations.lookup(`exchanged:${claims.sid}`, () => (knd === 'api_key' ? (claims.ws ? this.apiKeys.findLive(claims.ws, claims.sid) : Promise.resolve(null)) : this.tokens.findLive(claims.sub, claims.sid)));
    // Without Redis the credential's row answers; with it, the mark saves a query for a revoked one.
    if (await this.revocations.isMarkedRevoked(claims.sid, async () => !(await live()))) return true;
    return !(await live());
  }

  /** Every process refuses the access tokens of these sessions at once (their rows are revoked by the caller). */
  async markSessionsRevoked(familyIds: string[]): Promise<void> {
    // Access tokens live at most accessTokenTtlSeconds: the mark only has to outlive them.
    await Promise.all(familyIds.map((id) => this.revocations.revoke(id, revocationMarkSeconds(this.config))));
  }

  /** A short-lived JWT carrying exactly the powers of the API key or PAT presented (for browser widgets). */
  async exchange(principal: Principal): Promise<{ access_token: string; token_type: 'Bearer'; expires_in: number }> {
    if (principal.kind !== 'api_key' && principal.kind !== 'pat') throw ApiError.badRequest('Present an API key or a personal access token to exchange.');
    // Re-exchanging would mint a fresh token from a token, forever, without the secret.
    if (principal.exchanged) throw ApiError.badRequest('This access token was already exchanged: present the API key or personal access token itself.');
    // Never past the credential's own end (its expiry, or the end of a rotation's grace period).
    const nowSeconds = Math.floor(Date.now() / 1000);
    const credentialEnd = principal.credentialExpiresAt ? Math.floor(principal.credentialExpiresAt / 1000) : Infinity;
    const expiresIn = Math.max(1, Math.min(this.config.accessTokenTtlSeconds, credentialEnd - nowSeconds));
    const token = await this.sign(
      {
        sub: principal.userId ?? principal.credentialId,
        sid: principal.credentialId,
        knd: principal.kind,
        scp: [...principal.scopes],
        ...(principal.rateLimitTier ? { tier: principal.rateLimitTier } : {}),
        ...(principal.boundWorkspaceId ? { ws: principal.boundWorkspaceId } : {}),
      },
      expiresIn,
    );
    return { access_token: token, token_type: 'Bearer', expires_in: expiresIn };
  }

  /**
   * Revokes one access token (RFC 7009) if it is the caller's: a login's token of the same user, or
   * a token exchanged from the caller's own key or PAT. Every process refuses it at once (a Redis
   * mark), and so does PostgreSQL while Redis is away. An expired or foreign token: nothing happens.
   */
  async revoke(token: string, principal: Principal): Promise<void> {
    const claims = await this.verify(token);
    if (!claims?.jti || !claims.exp) return;
    const mine = claims.knd ? claims.sid === principal.credentialId || (claims.knd === 'pat' && claims.sub === principal.userId) : claims.sub === principal.userId;
    if (!mine) return;
    await this.repo.revoke(claims.jti, new Date(claims.exp * 1000));
    await this.revocations.revoke(accessTokenMark(claims.jti), Math.max(1, claims.exp - Math.floor(Date.now() / 1000)) + 60);
  }

  purgeExpired(): Promise<number> {
    return this.repo.purgeExpired();
  }
}
