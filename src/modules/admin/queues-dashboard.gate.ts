import type { IncomingHttpHeaders } from 'node:http';
import { posix } from 'node:path';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { cookieValue, seal, unseal } from '@tessera/common';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { AccessTokensService } from '../auth/access-tokens.service';
import { UsersService } from '../users/users.service';

/** Where bull-board is mounted (outside /api/v1: it is a web page, not part of the API). */
export const QUEUES_DASHBOARD_PATH = '/admin/queues';
export const QUEUES_SESSION_COOKIE = 'tessera_queues';
/** How long a dashboard session cookie lasts. */
export const QUEUES_SESSION_SECONDS = 15 * 60;
/** Associated data of the sealed cookie: a value sealed for anything else does not open as one. */
const COOKIE_CONTEXT = 'queues-dashboard-session';

interface DashboardSession {
  /** The operator's user id. */
  uid: string;
  /** The sign-in session (refresh-token family) it was opened from: revoking that ends this too. */
  sid: string;
  /** Expiry, ms since epoch. */
  exp: number;
}

/**
 * Whether a request target (raw, as sent) reaches the dashboard, whatever its form: absolute
 * (`GET http://host/admin/queues`, which Express routes by its path), case, percent-encoding
 * (once or more), doubled slashes or backslashes, and dot segments.
 */
export function isQueuesDashboardPath(rawUrl: string): boolean {
  // Cheap first, as every request asks: a target that spells "queues" nowhere, not even encoded, cannot.
  if (!rawUrl.includes('%') && !/queues/i.test(rawUrl)) return false;
  // The absolute form: the router strips scheme and authority before matching, so must we.
  let path = rawUrl.split(/[?#]/)[0].replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '');
  for (let i = 0; i < 4; i++) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(path);
    } catch {
      break; // an undecodable path is judged as it stands
    }
    if (decoded === path) break;
    path = decoded;
  }
  const normal = posix.normalize(`/${path.toLowerCase().replace(/\\/g, '/')}`).replace(/\/{2,}/g, '/');
  return normal === QUEUES_DASHBOARD_PATH || normal.startsWith(`${QUEUES_DASHBOARD_PATH}/`) || normal.startsWith(`${QUEUES_DASHBOARD_PATH};`) || normal.startsWith(`${QUEUES_DASHBOARD_PATH}.`);
}

/**
 * Who may open the queues dashboard (bull-board at /admin/queues): a platform operator only. The
 * queues hold every tenant's jobs, so anyone else (no credential, a workspace owner, an API key, a
 * PAT) finds no such page. An operator sends either their access token (Authorization: Bearer, for
 * scripts) or, from a browser, the short-lived cookie POST /api/v1/admin/queues/session sets: sealed
 * with the server's key, bound to the operator and their sign-in session, and re-checked on every
 * request against is_operator and revocation. The HTTP platform's hook (src/bootstrap.ts) asks
 * `allows` before bull-board sees the request.
 */
@Injectable()
export class QueuesDashboardGate {
  private readonly logger = new Logger(QueuesDashboardGate.name);

  constructor(
    private readonly accessTokens: AccessTokensService,
    private readonly users: UsersService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async allows(headers: IncomingHttpHeaders): Promise<boolean> {
    try {
      const session = this.sessionOf(headers) ?? (await this.bearerOf(headers));
      if (!session) return false;
      if (await this.accessTokens.isRevoked({ sub: session.uid, sid: session.sid })) return false;
      return await this.users.isOperator(session.uid);
    } catch (err) {
      // A dependency that fails closes the door: the dashboard is never worth a hole.
      this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'queues dashboard check failed');
      return false;
    }
  }

  /** The Set-Cookie header value of a new dashboard session for an operator's sign-in session. */
  sessionCookie(userId: string, sessionId: string, now = Date.now()): { header: string; expiresAt: Date } {
    const exp = now + QUEUES_SESSION_SECONDS * 1000;
    const value = seal(this.config.encryptionKey, JSON.stringify({ uid: userId, sid: sessionId, exp } satisfies DashboardSession), COOKIE_CONTEXT);
    return { header: this.cookie(value, QUEUES_SESSION_SECONDS), expiresAt: new Date(exp) };
  }

  /** The Set-Cookie header value that ends a dashboard session in the browser. */
  clearedCookie(): string {
    return this.cookie('', 0);
  }

  private cookie(value: string, maxAge: number): string {
    const secure = this.config.nodeEnv === 'production' || this.config.publicUrl?.startsWith('https:') ? '; Secure' : '';
    return `${QUEUES_SESSION_COOKIE}=${value}; Path=${QUEUES_DASHBOARD_PATH}; Max-Age=${maxAge}; HttpOnly; SameSite=Strict${secure}`;
  }

  private sessionOf(headers: IncomingHttpHeaders): DashboardSession | null {
    const raw = cookieValue(headers.cookie, QUEUES_SESSION_COOKIE);
    if (!raw) return null;
    try {
      const s = JSON.parse(unseal(this.config.encryptionKey, raw, COOKIE_CONTEXT).toString('utf8')) as DashboardSession;
      return typeof s.uid === 'string' && typeof s.sid === 'string' && typeof s.exp === 'number' && s.exp > Date.now() ? s : null;
    } catch {
      return null;
    }
  }

  /** An operator's own access token (not one exchanged for an API key or PAT). */
  private async bearerOf(headers: IncomingHttpHeaders): Promise<DashboardSession | null> {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '');
    if (!m || !m[1].startsWith('eyJ')) return null;
    const claims = await this.accessTokens.verify(m[1]);
    if (!claims || claims.knd) return null;
    if (await this.accessTokens.isRevoked(claims)) return null;
    return { uid: claims.sub, sid: claims.sid, exp: (claims.exp ?? 0) * 1000 };
  }
}
