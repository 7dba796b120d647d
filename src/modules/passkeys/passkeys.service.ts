import { Inject, Injectable } from '@nestjs/common';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { ApiError, clientIp, isId, ListQuery, newId, Page, RequestLike } from '@tessera/common';
import { isUniqueViolation } from '@tessera/database';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { FailedAuthLimiter } from '../rate-limit/failed-auth.limiter';
import { UserEntity } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { PasskeyEntity } from './passkey.entity';
import { ChallengePurpose, PasskeysRepository } from './passkeys.repository';

/** How long a ceremony may take, from its options to its answer. */
export const CEREMONY_TTL_MS = 5 * 60_000;
/** ES256, EdDSA, RS256: what authenticators offer. */
const ALGORITHMS = [-7, -8, -257];
/** The transports WebAuthn names (AuthenticatorTransport, and hybrid/cable/smart-card since). */
const TRANSPORTS: ReadonlySet<unknown> = new Set(['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb']);

/** The transports a browser said the new credential uses, as hints: only names WebAuthn knows, each once. */
function transportsOf(response: RegistrationResponseJSON): string[] {
  const sent: unknown = response.response.transports;
  return Array.isArray(sent) ? [...new Set(sent.filter((t) => TRANSPORTS.has(t)) as string[])] : [];
}

/** The challenge a browser signed, from the clientDataJSON of its answer; null if that is not readable. */
function signedChallenge(response: { response?: { clientDataJSON?: unknown } }): string | null {
  try {
    const raw = response.response?.clientDataJSON;
    if (typeof raw !== 'string' || raw.length > 4096) return null;
    const challenge = (JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as { challenge?: unknown }).challenge;
    return typeof challenge === 'string' && challenge.length <= 256 ? challenge : null;
  } catch {
    return null;
  }
}

/**
 * Passkeys (WebAuthn, through @simplewebauthn/server): registration by a signed-in user, and
 * sign-in with discoverable credentials (no user named beforehand: the authenticator picks the
 * account and answers its user handle). Challenges are single use and live 5 minutes; a sign-in
 * whose signature counter does not move forward is refused (a cloned authenticator). Failed
 * sign-ins count against the client address like any failed authentication.
 */
@Injectable()
export class PasskeysService {
  constructor(
    private readonly repo: PasskeysRepository,
    private readonly users: UsersService,
    private readonly failedAuth: FailedAuthLimiter,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async registrationOptions(user: UserEntity): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const existing = await this.repo.credentialIdsOf(user.id);
    const options = await generateRegistrationOptions({
      rpName: this.config.webauthn.rpName,
      rpID: this.config.webauthn.rpId,
      userName: user.email,
      userDisplayName: user.name,
      userID: Buffer.from(user.id, 'utf8'),
      attestationType: 'none',
      excludeCredentials: existing.map((c) => ({ id: c.credentialId, transports: c.transports })),
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
      supportedAlgorithmIDs: ALGORITHMS,
      timeout: CEREMONY_TTL_MS,
    });
    await this.repo.saveChallenge(options.challenge, 'registration', user.id, new Date(Date.now() + CEREMONY_TTL_MS));
    return options;
  }

  /** Verifies a new passkey's attestation against a challenge this user was given, and keeps it. */
  async register(userId: string, response: RegistrationResponseJSON, name: string | undefined): Promise<PasskeyEntity> {
    const invalid = (why: string) => ApiError.validation({ response: [why] }, 'The passkey could not be registered.');
    const challenge = signedChallenge(response);
    if (!challenge || !(await this.repo.consumeChallenge(challenge, 'registration', userId))) throw invalid('does not answer a live registration challenge of yours');
    let verified: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
    try {
      verified = await verifyRegistrationResponse({
        response,
        expectedChallenge: challenge,
        expectedOrigin: this.config.webauthn.origins,
        expectedRPID: this.config.webauthn.rpId,
        requireUserVerification: true,
        supportedAlgorithmIDs: ALGORITHMS,
      });
    } catch (err) {
      throw invalid(err instanceof Error ? err.message : 'is not a valid attestation');
    }
    if (!verified.verified) throw invalid('is not a valid attestation');
    const info = verified.registrationInfo;
    const now = new Date();
    const passkey = Object.assign(new PasskeyEntity(), {
      id: newId('pky'),
      userId,
      credentialId: info.credential.id,
      publicKey: Buffer.from(info.credential.publicKey),
      counter: String(info.credential.counter),
      transports: transportsOf(response),
      deviceType: info.credentialDeviceType,
      backedUp: info.credentialBackedUp,
      name: name?.trim() || 'Passkey',
      lastUsedAt: null,
      createdAt: now,
      updatedAt: now,
    });
    try {
      await this.repo.insert(passkey);
    } catch (err) {
      if (isUniqueViolation(err)) throw ApiError.conflict('This passkey is already registered.');
      throw err;
    }
    return passkey;
  }

  async authenticationOptions(): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const options = await generateAuthenticationOptions({ rpID: this.config.webauthn.rpId, userVerification: 'required', timeout: CEREMONY_TTL_MS });
    await this.repo.saveChallenge(options.challenge, 'authentication', null, new Date(Date.now() + CEREMONY_TTL_MS));
    return options;
  }

  /** The account a discoverable credential's assertion signs in, or 401 (the same for every failure). */
  async authenticate(response: AuthenticationResponseJSON, req: RequestLike): Promise<UserEntity> {
    const ip = clientIp(req);
    await this.failedAuth.assertAllowed(ip);
    const userId = await this.verifyAssertion(response);
    if (!userId) {
      await this.failedAuth.recordFailure(ip);
      throw ApiError.unauthorized('The passkey sign-in could not be verified.');
    }
    return this.users.findById(userId);
  }

  list(userId: string, list: ListQuery): Promise<Page<PasskeyEntity>> {
    return this.repo.list(userId, list);
  }

  async rename(userId: string, id: string, name: string): Promise<PasskeyEntity> {
    if (!isId('pky', id) || !(await this.repo.rename(userId, id, name.trim()))) throw ApiError.notFound('Passkey');
    return (await this.repo.find(userId, id))!;
  }

  async remove(userId: string, id: string): Promise<void> {
    if (!isId('pky', id) || !(await this.repo.delete(userId, id))) throw ApiError.notFound('Passkey');
  }

  purgeExpiredChallenges(): Promise<number> {
    return this.repo.purgeExpiredChallenges();
  }

  private async verifyAssertion(response: AuthenticationResponseJSON): Promise<string | null> {
    const challenge = signedChallenge(response);
    if (!challenge || !(await this.consume(challenge, 'authentication'))) return null;
    if (typeof response.id !== 'string' || response.id.length > 1024) return null;
    const passkey = await this.repo.findByCredentialId(response.id);
    if (!passkey) return null;
    // A discoverable credential names its account: it must be the passkey's own.
    const userHandle = response.response?.userHandle;
    if (typeof userHandle !== 'string' || Buffer.from(userHandle, 'base64url').toString('utf8') !== passkey.userId) return null;
    try {
      const verified = await verifyAuthenticationResponse({
        response,
        expectedChallenge: challenge,
        expectedOrigin: this.config.webauthn.origins,
        expectedRPID: this.config.webauthn.rpId,
        credential: { id: passkey.credentialId, publicKey: new Uint8Array(passkey.publicKey), counter: Number(passkey.counter), transports: passkey.transports },
        requireUserVerification: true,
      });
      if (!verified.verified) return null;
      // Checked by the library against the stored counter, and again atomically here.
      return (await this.repo.advanceCounter(passkey.id, verified.authenticationInfo.newCounter)) ? passkey.userId : null;
    } catch {
      return null;
    }
  }

  private consume(challenge: string, purpose: ChallengePurpose): Promise<boolean> {
    return this.repo.consumeChallenge(challenge, purpose, null);
  }
}
