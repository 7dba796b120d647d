import type { IncomingMessage, ServerResponse } from 'node:http';
import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { deriveKey32, equalHashes, ErrorCode, errorPage, hashSecret, newId, PAGE_HEADERS } from '@tessera/common';
import { REDIS } from '@tessera/queue';
import Redis from 'ioredis';
import type { KoaContext, Provider } from 'oidc-provider';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { UsersService } from '../users/users.service';
import { OAuthGrantsService } from './oauth-grants.service';
import { OAuthInteractions } from './oauth-interactions';
import { OAuthStorage } from './oauth-storage';
import { ProviderAccount, providerConfiguration } from './provider-configuration';
import { KeySetSummary, SigningKeysService } from './signing-keys.service';

/** Published when the signing keys change: every API process rebuilds its provider with them. */
const KEYS_CHANNEL = 'tessera:oauth:keys-changed';
/** Each process also compares its keys with PostgreSQL's this often, in case it missed a message. */
const KEYS_CHECK_MS = 60_000;

interface Built {
  provider: Provider;
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  keyIds: string;
}

/**
 * The built-in OAuth 2.1 / OpenID Connect provider (panva's oidc-provider, an ESM-only Koa app
 * loaded with import()). The bootstrap hands it every request under /oauth (and the discovery
 * document at /.well-known/openid-configuration); it keeps no state of its own: storage is in
 * PostgreSQL and Redis, keys in PostgreSQL, so any API process answers any request. A key
 * rotation rebuilds it in every process.
 */
@Injectable()
export class OAuthProviderService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(OAuthProviderService.name);
  private current?: Promise<Built>;
  private subscriber?: Redis;
  private checker?: NodeJS.Timeout;

  constructor(
    private readonly storage: OAuthStorage,
    private readonly keys: SigningKeysService,
    private readonly interactions: OAuthInteractions,
    private readonly grants: OAuthGrantsService,
    private readonly users: UsersService,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    this.subscriber = this.redis.duplicate();
    this.subscriber.on('message', () => void this.reload());
    this.subscriber.on('error', (err: Error) => this.logger.warn({ err: err.message }, 'OAuth key subscriber error'));
    await this.subscriber.subscribe(KEYS_CHANNEL).catch((err: unknown) => this.logger.warn({ err: String(err) }, 'OAuth key changes not subscribed'));
    this.checker = setInterval(() => void this.reloadIfKeysChanged(), KEYS_CHECK_MS);
    this.checker.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.checker);
    await this.subscriber?.quit().catch(() => this.subscriber?.disconnect());
  }

  /**
   * Answers a request for the provider. `req.url` is relative to /oauth and `req.originalUrl`
   * (when the bootstrap rewrote it) the path the client asked for. If the provider cannot be
   * built (PostgreSQL down at the first request), 503 in the envelope.
   */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let built: Built;
    try {
      built = await this.built();
    } catch (err) {
      this.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'OAuth provider unavailable');
      const body = JSON.stringify({ success: false, status: 503, code: ErrorCode.SERVICE_UNAVAILABLE, message: 'The OAuth provider is unavailable; retry shortly.', data: null, meta: { request_id: newId('req'), timestamp: new Date().toISOString() } });
      res.writeHead(503, { 'Content-Type': 'application/json; charset=utf-8', 'Retry-After': '5' }).end(body);
      return;
    }
    await built.handle(req, res);
  }

  /** The provider of this process (for the interaction pages' own use, and tests). */
  provider(): Promise<Provider> {
    return this.built().then((b) => b.provider);
  }

  /** Rotates the signing keys and has every API process use the new set. */
  async rotateKeys(): Promise<KeySetSummary> {
    const summary = await this.keys.rotate();
    await this.reload();
    await this.redis.publish(KEYS_CHANNEL, summary.active).catch((err: unknown) => this.logger.warn({ err: String(err) }, 'OAuth key change not published; other processes pick it up within a minute'));
    return summary;
  }

  private built(): Promise<Built> {
    if (!this.current) {
      this.current = this.build();
      // A failed build (PostgreSQL down) is retried by the next request, not remembered.
      this.current.catch(() => (this.current = undefined));
    }
    return this.current;
  }

  /** Builds a provider with the current keys and swaps it in once it is ready; requests meanwhile use the old one. */
  private async reload(): Promise<void> {
    try {
      const next = await this.build();
      this.current = Promise.resolve(next);
    } catch (err) {
      this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'OAuth provider not rebuilt');
    }
  }

  private async reloadIfKeysChanged(): Promise<void> {
    if (!this.current) return;
    try {
      const [built, summary] = await Promise.all([this.current, this.keys.summary()]);
      if (keyIdsOf(summary) !== built.keyIds) await this.reload();
    } catch (err) {
      this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'OAuth keys not checked');
    }
  }

  private async build(): Promise<Built> {
    const { default: ProviderClass, errors } = await import('oidc-provider');
    const jwks = await this.keys.load();
    const provider = new ProviderClass(
      this.config.oauth.issuer,
      providerConfiguration({
        config: this.config,
        errors,
        jwks,
        cookieKeys: [deriveKey32(this.config.encryptionKey.toString('base64'), 'tessera/oauth-cookies/v1').toString('base64url')],
        adapter: (model) => this.storage.adapterFor(model, errors),
        findAccount: (id) => this.findAccount(id),
        workspaceOfGrant: (grantId) => this.grants.workspaceOf(grantId),
        renderError: async (ctx, out) => renderError(ctx, out),
      }),
    );
    // X-Forwarded-Proto/-Host count only when the API trusts a proxy (TRUST_PROXY).
    provider.proxy = this.config.trustProxy !== false;
    // Client secrets are stored as SHA-256 (oauth_clients.secret_hash): the presented secret is
    // hashed and compared in constant time. oidc-provider made this method overridable for it.
    provider.Client.prototype.compareClientSecret = function compareClientSecret(this: { clientSecret?: string }, actual: string): boolean {
      return typeof actual === 'string' && !!this.clientSecret && equalHashes(Buffer.from(this.clientSecret, 'hex'), hashSecret(actual));
    };
    provider.use(this.interactions.middleware(provider, errors));
    provider.on('server_error', (_ctx: unknown, err: unknown) => this.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'OAuth provider error'));
    const callback = provider.callback();
    return { provider, handle: (req, res) => callback(req, res), keyIds: keyIdsOf(await this.keys.summary()) };
  }

  private async findAccount(id: string): Promise<ProviderAccount | undefined> {
    const user = await this.users.findById(id).catch(() => null);
    if (!user) return undefined;
    return {
      accountId: user.id,
      claims: async () => ({ sub: user.id, name: user.name, email: user.email, email_verified: user.emailVerifiedAt !== null }),
    };
  }
}

function keyIdsOf(summary: KeySetSummary): string {
  return [summary.active, summary.next, ...summary.retired].join(',');
}

/** The provider's own errors for a browser (a JSON client gets JSON from the provider itself). */
function renderError(ctx: KoaContext, out: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(PAGE_HEADERS)) ctx.set(name, value);
  ctx.type = 'text/html; charset=utf-8';
  const description = typeof out.error_description === 'string' ? out.error_description : 'The request could not be completed.';
  ctx.body = errorPage(`Authorization failed (${String(out.error ?? 'error')})`, description);
}
