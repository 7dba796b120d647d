import { Inject, Injectable, Logger } from '@nestjs/common';
import { ApiError, ErrorCode } from '@tessera/common';
import { GcraLimiter } from '@tessera/queue';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { failClosed, failOpen } from './fail-open';

/** The first four groups of an IPv6 address, expanded ("2001:db8::1" → "2001:db8:0:0"). */
export function ipv6Prefix64(ip: string): string {
  const [head, tail = ''] = ip.split('%')[0].split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  return groups.slice(0, 4).map((g) => g.toLowerCase().replace(/^0+(?=.)/, '')).join(':');
}

/**
 * Failed authentication per client address: 30 a minute (GCRA, refilling one every 2 s). Once an
 * address has spent them, the AuthGuard answers 429 before looking a credential up, so guessing
 * API keys or PATs costs the database nothing.
 */
@Injectable()
export class FailedAuthLimiter {
  static readonly LIMIT = 30;
  static readonly WINDOW_MS = 60_000;
  private readonly log = new Logger(FailedAuthLimiter.name);

  constructor(
    private readonly gcra: GcraLimiter,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Throws 429 RATE_LIMITED when `ip` has no failed attempt left. */
  async assertAllowed(ip: string): Promise<void> {
    if (!this.config.rateLimitEnabled) return;
    const state = await failOpen(this.gcra.peek(this.key(ip), FailedAuthLimiter.LIMIT, FailedAuthLimiter.WINDOW_MS), this.log);
    if (state?.retryAfterMs) throw this.limited(state.retryAfterMs, state.resetMs);
  }

  /** Counts a failed attempt; throws 429 RATE_LIMITED when it did not fit in the budget. */
  async recordFailure(ip: string): Promise<void> {
    if (!this.config.rateLimitEnabled) return;
    const result = await failOpen(this.gcra.check(this.key(ip), FailedAuthLimiter.LIMIT, FailedAuthLimiter.WINDOW_MS), this.log);
    if (result && !result.allowed) throw this.limited(result.retryAfterMs, result.resetMs);
  }

  /**
   * Current-password checks per account (PATCH /me): 10 per 15 minutes, right or wrong. A stolen
   * access token must not become a password oracle: with the password, the thief could change the
   * e-mail and keep the account. Each check is spent before the hash is compared (one atomic GCRA
   * step), so concurrent guesses cannot all slip past the budget. Only the account's own
   * credentials reach this, so it cannot lock out anyone else.
   */
  static readonly PASSWORD_LIMIT = 10;
  static readonly PASSWORD_WINDOW_MS = 15 * 60_000;

  /** Spends one current-password check of the account; 429 RATE_LIMITED when none is left. */
  async spendPasswordCheck(userId: string): Promise<void> {
    if (!this.config.rateLimitEnabled) return;
    const result = await failClosed(this.gcra.check(`password-failed:${userId}`, FailedAuthLimiter.PASSWORD_LIMIT, FailedAuthLimiter.PASSWORD_WINDOW_MS), this.log, 'current-password checks');
    if (!result.allowed) throw this.limited(result.retryAfterMs, result.resetMs, FailedAuthLimiter.PASSWORD_LIMIT, 'current-password checks for this account');
  }

  /**
   * Second-factor code checks per account (TOTP and recovery codes, at sign-in and on the MFA
   * routes): 10 per 15 minutes, right or wrong, each spent before the code is compared (one atomic
   * step). A 6-digit code has a million values: with this budget, guessing one takes years.
   */
  static readonly CODE_LIMIT = 10;
  static readonly CODE_WINDOW_MS = 15 * 60_000;

  /** Spends one second-factor code check of the account; 429 RATE_LIMITED when none is left. */
  async spendCodeCheck(userId: string): Promise<void> {
    if (!this.config.rateLimitEnabled) return;
    const result = await failClosed(this.gcra.check(`mfa-code:${userId}`, FailedAuthLimiter.CODE_LIMIT, FailedAuthLimiter.CODE_WINDOW_MS), this.log, 'second-factor code checks');
    if (!result.allowed) throw this.limited(result.retryAfterMs, result.resetMs, FailedAuthLimiter.CODE_LIMIT, 'second-factor code checks for this account');
  }

  /**
   * Password sign-ins that do not go through POST /auth/login (the OAuth provider's sign-in page):
   * its limit, 10 per 15 minutes per client address and e-mail, spent before the hash is compared.
   */
  static readonly SIGN_IN_LIMIT = 10;
  static readonly SIGN_IN_WINDOW_MS = 15 * 60_000;

  /** Spends one sign-in attempt of this address and e-mail; 429 RATE_LIMITED when none is left. */
  async spendSignIn(ip: string, email: string): Promise<void> {
    if (!this.config.rateLimitEnabled) return;
    const result = await failClosed(this.gcra.check(`sign-in:${ip}:${email.trim().toLowerCase()}`, FailedAuthLimiter.SIGN_IN_LIMIT, FailedAuthLimiter.SIGN_IN_WINDOW_MS), this.log, 'sign-in attempts');
    if (!result.allowed) throw this.limited(result.retryAfterMs, result.resetMs, FailedAuthLimiter.SIGN_IN_LIMIT, 'sign-in attempts for this address and e-mail');
  }

  private limited(retryAfterMs: number, resetMs: number, limit = FailedAuthLimiter.LIMIT, what = 'failed authentication attempts from this address'): ApiError {
    const retryAfter = Math.max(1, Math.ceil(retryAfterMs / 1000));
    return new ApiError(
      429,
      ErrorCode.RATE_LIMITED,
      `Too many ${what}; retry in ${retryAfter} s.`,
      { retry_after: retryAfter, limit, remaining: 0, reset_at: new Date(Date.now() + resetMs).toISOString() },
      { 'Retry-After': String(retryAfter) },
    );
  }

  /** One budget per IPv4 address, and per /64 for IPv6 (one subscriber's prefix, which it can walk). */
  private key(ip: string): string {
    const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
    if (v4 || !ip.includes(':')) return `auth-failed:${v4 ?? ip}`;
    return `auth-failed:${ipv6Prefix64(ip)}::/64`;
  }
}
