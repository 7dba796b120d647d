import { timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ApiError, clientIp, hashSecret, header, isId, LastUsedThrottle, ListQuery, newId, newSecret, Page, RequestLike } from '@tessera/common';
import { CredentialCache } from '@tessera/queue';
import { APP_CONFIG, AppConfig, revocationMarkSeconds } from '../../config/config';
import { BrowserSessionEntity, SignInMethod } from './browser-session.entity';
import { BrowserSessionsRepository } from './browser-sessions.repository';
import { csrfTokenFor, isSessionSecret, SESSION_SECRET_PREFIX, sessionCookieOf } from './session-cookies';

/** A live browser session, as the guard and the OAuth consent page see it. */
export interface SignedInSession {
  id: string;
  userId: string;
  /** The workspace the sign-in was bound to, if any. */
  workspaceId: string | null;
  authMethod: SignInMethod;
  /** ms since epoch. */
  expiresAt: number;
}

export interface StartedSession {
  session: BrowserSessionEntity;
  /** The cookie's value: shown to the browser once, in Set-Cookie. */
  secret: string;
  csrfToken: string;
  maxAgeSeconds: number;
}

/**
 * Browser sessions: sign-in by password, magic link or passkey with a session cookie. Verified
 * like personal access tokens: by the SHA-256 of the secret, cached 5 s per process, and dropped
 * in every process at once when revoked (and, without Redis, within the 5 s; PostgreSQL is the
 * truth). Revocations also leave the same marks as a revoked sign-in session, for the queues
 * dashboard's cookie and anything else keyed by a session id.
 */
@Injectable()
export class BrowserSessionsService {
  private readonly logger = new Logger(BrowserSessionsService.name);
  private readonly lastSeen = new LastUsedThrottle();

  constructor(
    private readonly repo: BrowserSessionsRepository,
    private readonly cache: CredentialCache,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** A new session for a user who just proved who they are. */
  async start(input: { userId: string; workspaceId: string | null; method: SignInMethod; req: RequestLike }): Promise<StartedSession> {
    const secret = newSecret(SESSION_SECRET_PREFIX);
    const now = new Date();
    const maxAgeSeconds = this.config.sessionTtlHours * 3600;
    const session = Object.assign(new BrowserSessionEntity(), {
      id: newId('bss'),
      userId: input.userId,
      workspaceId: input.workspaceId,
      secretHash: hashSecret(secret),
      authMethod: input.method,
      userAgent: header(input.req, 'user-agent')?.slice(0, 512) ?? null,
      ip: clientIp(input.req),
      createdAt: now,
      lastSeenAt: now,
      expiresAt: new Date(now.getTime() + maxAgeSeconds * 1000),
      revokedAt: null,
    });
    await this.repo.insert(session);
    return { session, secret, csrfToken: this.csrfToken(session.id), maxAgeSeconds };
  }

  /** The session's CSRF token (what X-CSRF-Token must carry; a server-rendered form puts it in a hidden field). */
  csrfToken(sessionId: string): string {
    return csrfTokenFor(this.config.encryptionKey, sessionId);
  }

  /** Whether `token` is the session's CSRF token: for a form post, which cannot send X-CSRF-Token. */
  isCsrfToken(sessionId: string, token: unknown): boolean {
    if (typeof token !== 'string') return false;
    const expected = Buffer.from(this.csrfToken(sessionId));
    const sent = Buffer.from(token);
    return sent.length === expected.length && timingSafeEqual(sent, expected);
  }

  /** Whether this secret was verified in this process moments ago (no query needed to trust it). */
  isVerified(secret: string): boolean {
    return isSessionSecret(secret) && this.cache.has(hashSecret(secret).toString('hex'));
  }

  /** The live session behind a cookie's secret, else null (unknown, ended, expired, malformed). */
  async verify(secret: string, req?: RequestLike): Promise<SignedInSession | null> {
    if (!isSessionSecret(secret)) return null;
    const hash = hashSecret(secret);
    const session = await this.cache.lookup<SignedInSession>(hash.toString('hex'), async () => {
      const s = await this.repo.findLiveByHash(hash);
      return s ? { id: s.id, userId: s.userId, workspaceId: s.workspaceId, authMethod: s.authMethod, expiresAt: s.expiresAt.getTime() } : null;
    });
    if (session && this.lastSeen.shouldWrite(session.id)) {
      this.repo.touch(session.id, req ? clientIp(req) : null).catch((err: unknown) => this.logger.warn({ err }, 'last_seen_at not written'));
    }
    return session;
  }

  /**
   * Who is signed in in this browser: the live session of the request's session cookie, or null.
   * For pages the API serves to browsers (the OAuth consent page); the cookie alone decides, so a
   * page that changes anything must also check the request's Origin and CSRF token.
   */
  signedInUser(req: RequestLike): Promise<SignedInSession | null> {
    const secret = sessionCookieOf(req);
    return secret ? this.verify(secret, req) : Promise.resolve(null);
  }

  list(userId: string, list: ListQuery): Promise<Page<BrowserSessionEntity>> {
    return this.repo.listLive(userId, list);
  }

  /** Ends one of the user's sessions; 404 when it is not a live session of theirs. */
  async revoke(userId: string, id: string): Promise<void> {
    if (!isId('bss', id) || !(await this.repo.revoke(userId, id))) throw ApiError.notFound('Session');
    await this.forget([id]);
  }

  /** Ends every session of a user but `exceptId` (password reset or change, "sign out everywhere"); returns how many. */
  async revokeAllForUser(userId: string, exceptId: string | null = null): Promise<number> {
    const ids = await this.repo.revokeAllForUser(userId, exceptId);
    await this.forget(ids);
    return ids.length;
  }

  purgeExpired(): Promise<number> {
    return this.repo.purgeExpired();
  }

  /** Every process drops its cached copy at once, and a mark says the session id is dead. */
  private async forget(ids: string[]): Promise<void> {
    await Promise.all(ids.map((id) => this.cache.revoke(id, revocationMarkSeconds(this.config))));
  }
}
