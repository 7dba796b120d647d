import { generateKeyPair, type JsonWebKey } from 'node:crypto';
import { promisify } from 'node:util';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { newId, seal, unseal } from '@tessera/common';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { NewSigningKey, SigningKeysRepository } from './signing-keys.repository';

const generateRsa = promisify(generateKeyPair);

/** A key the provider signs or verifies with: its private JWK with kid, alg and use. */
export type ProviderKey = JsonWebKey & { kid: string; alg: 'RS256'; use: 'sig' };

export interface KeySetSummary {
  active: string;
  next: string;
  retired: string[];
}

/**
 * The provider's RS256 signing keys, kept in PostgreSQL with the private half sealed. A key is
 * published (JWKS) one rotation before it signs, so clients that cache the JWKS already know it;
 * a retired key stays published for RETAIN_SECONDS, longer than any ID token it signed lives.
 */
@Injectable()
export class SigningKeysService {
  static readonly RETAIN_SECONDS = 86_400;
  private readonly logger = new Logger(SigningKeysService.name);

  constructor(
    private readonly repo: SigningKeysRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The keys to give the provider, the active one first (it signs); makes the first ones when there are none. */
  async load(): Promise<ProviderKey[]> {
    let rows = await this.repo.published(SigningKeysService.RETAIN_SECONDS);
    // A key sealed under another ENCRYPTION_KEY (it was changed) cannot sign: it is retired and replaced.
    const unreadable = rows.filter((r) => this.open(r.id, r.private_jwk_sealed) === null);
    if (unreadable.length) {
      this.logger.warn({ keys: unreadable.map((r) => r.id) }, 'OAuth signing keys sealed under another ENCRYPTION_KEY: retired and replaced');
      for (const r of unreadable) if (r.state !== 'retired') await this.repo.setState(r.id, 'retired');
    }
    const missing = (['active', 'next'] as const).filter((state) => !rows.some((r) => r.state === state && !unreadable.includes(r)));
    if (missing.length) {
      // Generated before any transaction (RSA generation takes tens of milliseconds); a process
      // that loses the race to another one drops its key.
      for (const state of missing) await this.repo.insertIfVacant(await this.generate(), state);
      rows = await this.repo.published(SigningKeysService.RETAIN_SECONDS);
    }
    return rows.flatMap((r) => {
      const jwk = this.open(r.id, r.private_jwk_sealed);
      return jwk ? [{ ...jwk, kid: r.id, alg: 'RS256' as const, use: 'sig' as const }] : [];
    });
  }

  private open(id: string, sealed: string): JsonWebKey | null {
    try {
      return JSON.parse(unseal(this.config.encryptionKey, sealed, id).toString('utf8')) as JsonWebKey;
    } catch {
      return null;
    }
  }

  /** Which keys are published, by state. */
  async summary(): Promise<KeySetSummary> {
    const rows = await this.repo.published(SigningKeysService.RETAIN_SECONDS);
    return {
      active: rows.find((r) => r.state === 'active')?.id ?? '',
      next: rows.find((r) => r.state === 'next')?.id ?? '',
      retired: rows.filter((r) => r.state === 'retired').map((r) => r.id),
    };
  }

  /** The next key starts signing, the active one retires, and a new next key is published. */
  async rotate(): Promise<KeySetSummary> {
    const fresh = await this.generate();
    await this.repo.transaction(async () => {
      const keys = await this.repo.lockAll();
      const active = keys.find((k) => k.state === 'active');
      const next = keys.find((k) => k.state === 'next');
      if (active) await this.repo.setState(active.id, 'retired');
      if (next) await this.repo.setState(next.id, 'active');
      await this.repo.insertIfVacant(fresh, next ? 'next' : 'active');
    });
    // With no next key (never, unless rows were removed by hand) the fresh one is active: add a next one.
    await this.load();
    return this.summary();
  }

  purgeRetired(): Promise<number> {
    return this.repo.purgeRetired(SigningKeysService.RETAIN_SECONDS);
  }

  private async generate(): Promise<NewSigningKey> {
    const { privateKey } = await generateRsa('rsa', { modulusLength: 2048 });
    const jwk = privateKey.export({ format: 'jwk' });
    const id = newId('osk');
    return {
      id,
      publicJwk: { kty: jwk.kty, n: jwk.n, e: jwk.e, kid: id, alg: 'RS256', use: 'sig' },
      privateJwkSealed: seal(this.config.encryptionKey, JSON.stringify(jwk), id),
    };
  }
}
