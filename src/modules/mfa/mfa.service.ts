import { Inject, Injectable } from '@nestjs/common';
import { toString as qrToString } from 'qrcode';
import { ApiError, hashSecret, newId, newSecret, seal, unseal } from '@tessera/common';
import { CredentialCache } from '@tessera/queue';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { FailedAuthLimiter } from '../rate-limit/failed-auth.limiter';
import { MfaChallengeEntity } from './mfa-challenge.entity';
import { MfaRepository } from './mfa.repository';
import { hashRecoveryCode, newRecoveryCodes } from './recovery-codes';
import { base32Encode, matchTotp, newTotpSecret, otpauthUri } from './totp';

export const MFA_TOKEN_PREFIX = 'tsr_mfa_';
const MFA_TOKEN_PATTERN = /^tsr_mfa_[A-Za-z0-9_-]{43}$/;
/** How long the second step of a sign-in may wait, and how many wrong codes it takes. */
export const MFA_CHALLENGE_TTL_MS = 5 * 60_000;
export const MFA_CHALLENGE_ATTEMPTS = 5;
const ISSUER = 'Tessera';

/** A second factor as sent: a TOTP code or a recovery code. */
export interface SecondFactor {
  code?: string;
  recovery_code?: string;
}

export interface TotpEnrolment {
  secret: string;
  otpauth_uri: string;
  qr_svg: string;
}

/** What the first step of a sign-in asked for, handed back once the second factor checks out. */
export interface PassedChallenge {
  userId: string;
  workspaceId: string | null;
  session: boolean;
  authMethod: 'password' | 'magic_link';
  factor: 'totp' | 'recovery_code';
}

const sealContext = (userId: string) => `totp-secret:${userId}`;
const enrolledKey = (userId: string) => `mfa-enrolled:${userId}`;

/**
 * Multi-factor sign-in: TOTP (RFC 6238) with ten single-use recovery codes, and the second step
 * of a sign-in (an MFA token from the first step, then a code). Every code check spends from the
 * account's budget first (FailedAuthLimiter.spendCodeCheck); a TOTP code is accepted once: its
 * time step is spent atomically, so neither a replay nor two racing requests pass twice.
 */
@Injectable()
export class MfaService {
  constructor(
    private readonly repo: MfaRepository,
    private readonly failedAuth: FailedAuthLimiter,
    private readonly cache: CredentialCache,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Whether the user has TOTP on (cached 5 s per process; dropped everywhere on a change). */
  async isEnrolled(userId: string): Promise<boolean> {
    const cached = this.cache.get<{ on: boolean }>(enrolledKey(userId));
    if (cached) return cached.on;
    const on = await this.repo.isEnrolled(userId);
    this.cache.set(enrolledKey(userId), enrolledKey(userId), { on });
    return on;
  }

  async status(userId: string): Promise<{ totp_enabled: boolean; recovery_codes_remaining: number }> {
    const totp = await this.repo.findTotp(userId);
    const on = !!totp?.confirmedAt;
    return { totp_enabled: on, recovery_codes_remaining: on ? await this.repo.countRecoveryCodesLeft(userId) : 0 };
  }

  /** A new pending secret (replacing a pending one); 409 while TOTP is on. */
  async enroll(userId: string, account: string): Promise<TotpEnrolment> {
    const secret = newTotpSecret();
    const saved = await this.repo.savePendingTotp(userId, seal(this.config.encryptionKey, secret, sealContext(userId)));
    if (!saved) throw ApiError.conflict('TOTP is already on for this account: delete it first to enrol a new authenticator.');
    const encoded = base32Encode(secret);
    const uri = otpauthUri(ISSUER, account, encoded);
    return { secret: encoded, otpauth_uri: uri, qr_svg: await qrToString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 }) };
  }

  /** Turns a pending secret on with its first code; answers the ten recovery codes (shown once). */
  async confirm(userId: string, code: string): Promise<string[]> {
    await this.failedAuth.spendCodeCheck(userId);
    const totp = await this.repo.findTotp(userId);
    if (!totp || totp.confirmedAt) throw ApiError.conflict(totp ? 'TOTP is already on for this account.' : 'No TOTP enrolment is pending: start one with POST /api/v1/me/mfa/totp.');
    const step = matchTotp(this.secretOf(totp.userId, totp.secretSealed), code, Date.now());
    const codes = newRecoveryCodes();
    const confirmed = await this.repo.transaction(async () => {
      if (step === null || !(await this.repo.spendStep(userId, step, true))) return false;
      await this.repo.replaceRecoveryCodes(userId, codes.map((c) => hashRecoveryCode(this.config.encryptionKey, userId, c)));
      return true;
    });
    if (!confirmed) throw ApiError.validation({ code: ['is not the current code of this authenticator'] });
    await this.cache.revoke(enrolledKey(userId));
    return codes;
  }

  /** Turns TOTP off (and drops the recovery codes); needs a current code or a recovery code. */
  async disable(userId: string, factor: SecondFactor): Promise<void> {
    await this.assertEnrolled(userId);
    await this.failedAuth.spendCodeCheck(userId);
    const ok = await this.repo.transaction(async () => {
      if (!(await this.checkFactor(userId, factor))) return false;
      await this.repo.deleteTotp(userId);
      return true;
    });
    if (!ok) throw this.wrongFactor(factor);
    await this.cache.revoke(enrolledKey(userId));
  }

  /** Ten new recovery codes (the old ones stop working); needs a current TOTP code. */
  async regenerateRecoveryCodes(userId: string, code: string): Promise<string[]> {
    await this.assertEnrolled(userId);
    await this.failedAuth.spendCodeCheck(userId);
    const codes = newRecoveryCodes();
    const ok = await this.repo.transaction(async () => {
      if (!(await this.checkFactor(userId, { code }))) return false;
      await this.repo.replaceRecoveryCodes(userId, codes.map((c) => hashRecoveryCode(this.config.encryptionKey, userId, c)));
      return true;
    });
    if (!ok) throw this.wrongFactor({ code });
    return codes;
  }

  /** The MFA token of a sign-in's first step (single use, 5 minutes, 5 wrong codes at most). */
  async createChallenge(input: { userId: string; workspaceId: string | null; session: boolean; authMethod: 'password' | 'magic_link' }): Promise<string> {
    const token = newSecret(MFA_TOKEN_PREFIX);
    const now = new Date();
    await this.repo.insertChallenge(
      Object.assign(new MfaChallengeEntity(), {
        id: newId('mfc'),
        userId: input.userId,
        tokenHash: hashSecret(token),
        workspaceId: input.workspaceId,
        session: input.session,
        authMethod: input.authMethod,
        attempts: 0,
        expiresAt: new Date(now.getTime() + MFA_CHALLENGE_TTL_MS),
        usedAt: null,
        createdAt: now,
      }),
    );
    return token;
  }

  /**
   * The second step of a sign-in: the challenge is locked while its code is checked, so it is
   * passed once; a wrong code counts against it (the fifth ends it) and against the account.
   */
  async passChallenge(mfaToken: string, factor: SecondFactor): Promise<PassedChallenge> {
    const invalid = ApiError.unauthorized('The MFA token is invalid, expired, used or out of attempts: sign in again.');
    if (!MFA_TOKEN_PATTERN.test(mfaToken)) throw invalid;
    const hash = hashSecret(mfaToken);
    // The owner of the token is needed to spend from its budget before any code is compared.
    const owner = await this.repo.lockLiveChallenge(hash, MFA_CHALLENGE_ATTEMPTS);
    if (!owner) throw invalid;
    await this.failedAuth.spendCodeCheck(owner.userId);
    const outcome = await this.repo.transaction(async () => {
      const challenge = await this.repo.lockLiveChallenge(hash, MFA_CHALLENGE_ATTEMPTS);
      if (!challenge) return null;
      const passed = await this.checkFactor(challenge.userId, factor);
      if (passed) await this.repo.markChallengeUsed(challenge.id);
      else await this.repo.countFailedAttempt(challenge.id);
      return { challenge, passed };
    });
    if (!outcome) throw invalid;
    if (!outcome.passed) throw ApiError.unauthorized(factor.recovery_code !== undefined ? 'The recovery code is wrong or was already used.' : 'The code is wrong, expired or was already used.');
    const { challenge } = outcome;
    return { userId: challenge.userId, workspaceId: challenge.workspaceId, session: challenge.session, authMethod: challenge.authMethod, factor: factor.recovery_code !== undefined ? 'recovery_code' : 'totp' };
  }

  /** Password reset: a first step taken with the old password leads nowhere. */
  expireChallenges(userId: string): Promise<void> {
    return this.repo.expireChallenges(userId);
  }

  purgeExpired(): Promise<number> {
    return this.repo.purgeExpired();
  }

  private async assertEnrolled(userId: string): Promise<void> {
    if (!(await this.repo.isEnrolled(userId))) throw ApiError.conflict('TOTP is not on for this account.');
  }

  /** Checks (and spends) a TOTP code or a recovery code; inside the caller's transaction. */
  private async checkFactor(userId: string, factor: SecondFactor): Promise<boolean> {
    if (factor.recovery_code !== undefined) {
      return this.repo.spendRecoveryCode(userId, hashRecoveryCode(this.config.encryptionKey, userId, factor.recovery_code));
    }
    const totp = await this.repo.findTotp(userId);
    if (!totp?.confirmedAt || factor.code === undefined) return false;
    const step = matchTotp(this.secretOf(userId, totp.secretSealed), factor.code, Date.now());
    return step !== null && this.repo.spendStep(userId, step, false);
  }

  private wrongFactor(factor: SecondFactor): ApiError {
    return factor.recovery_code !== undefined
      ? ApiError.validation({ recovery_code: ['is wrong or was already used'] })
      : ApiError.validation({ code: ['is not a current code of your authenticator, or was already used'] });
  }

  private secretOf(userId: string, sealed: string): Buffer {
    return unseal(this.config.encryptionKey, sealed, sealContext(userId));
  }
}
