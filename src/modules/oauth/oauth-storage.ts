import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { isId, seal, unseal } from '@tessera/common';
import { CredentialCache, REDIS } from '@tessera/queue';
import Redis from 'ioredis';
import type { Adapter, AdapterPayload, errors as ProviderErrors } from 'oidc-provider';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { OAuthClientEntity } from './oauth-client.entity';
import { OAuthClientsRepository } from './oauth-clients.repository';
import { OAuthGrantsRepository, TokenModel } from './oauth-grants.repository';
import { OIDC_SCOPES } from './oauth-scopes';

const TOKEN_MODELS: ReadonlySet<string> = new Set<TokenModel>(['AccessToken', 'AuthorizationCode', 'RefreshToken']);
/** Redis keeps what lives minutes to a day and is never revoked by grant: interactions, browser sessions, replay marks. */
const REDIS_PREFIX = 'tessera:oauth:';
/** A Redis record the provider saves without a lifetime still ends. */
const DEFAULT_REDIS_TTL_SECONDS = 86_400;

const sha256 = (value: string) => createHash('sha256').update(value).digest();
const epochNow = () => Math.floor(Date.now() / 1000);

function withoutJti(payload: AdapterPayload): AdapterPayload {
  const { jti: _, ...rest } = payload;
  return rest;
}

/** A registered client as oidc-provider's metadata; the secret is its SHA-256 (compared by OAuthProviderService). */
export function clientMetadata(client: OAuthClientEntity): Record<string, unknown> {
  return {
    client_id: client.id,
    client_name: client.name,
    application_type: 'web',
    redirect_uris: client.redirectUris,
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    ...(client.type === 'confidential' && client.secretHash
      ? { token_endpoint_auth_method: 'client_secret_basic', client_secret: client.secretHash.toString('hex') }
      : { token_endpoint_auth_method: 'none' }),
    scope: [...OIDC_SCOPES, ...client.scopes].join(' '),
    id_token_signed_response_alg: 'RS256',
  };
}

type Errors = typeof ProviderErrors;

/**
 * oidc-provider's storage, never in memory, so that every API process serves any request:
 * grants and tokens in PostgreSQL (they outlive a Redis restart and are revoked by grant),
 * clients from oauth_clients, and the short-lived rest in Redis, sealed with ENCRYPTION_KEY.
 */
@Injectable()
export class OAuthStorage {
  private readonly logger = new Logger(OAuthStorage.name);

  constructor(
    private readonly grants: OAuthGrantsRepository,
    private readonly clients: OAuthClientsRepository,
    private readonly cache: CredentialCache,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The adapter of one of the provider's models (its `adapter` factory). */
  adapterFor(model: string, errors: Errors): Adapter {
    const adapter = model === 'Client' ? this.clientAdapter() : model === 'Grant' ? this.grantAdapter(errors) : TOKEN_MODELS.has(model) ? this.tokenAdapter(model as TokenModel, errors) : this.redisAdapter(model);
    return this.unavailableWhenDown(adapter, errors);
  }

  /** Every process forgets the grant's access tokens it verified (the guard caches them a few seconds). */
  forgetGrant(grantId: string): Promise<void> {
    return this.cache.revoke(grantId);
  }

  private clientAdapter(): Adapter {
    return {
      find: async (id) => {
        const client = isId('oac', id) ? await this.clients.findForProvider(id) : null;
        return client ? clientMetadata(client) : undefined;
      },
      ...unsupported('Client', ['upsert', 'findByUid', 'findByUserCode', 'consume', 'destroy', 'revokeByGrantId']),
    };
  }

  private grantAdapter(errors: Errors): Adapter {
    return {
      find: async (id) => {
        const payload = await this.grants.findGrantPayload(id);
        return payload ? { ...payload, jti: id } : undefined;
      },
      upsert: async (id, payload, expiresIn) => {
        // The consent step inserts the grant's row (with its workspace) before the provider saves it.
        if (!(await this.grants.saveGrantPayload(id, withoutJti(payload), new Date(Date.now() + expiresIn * 1000)))) {
          throw new errors.InvalidGrant('grant not found');
        }
      },
      destroy: async (id) => {
        await this.grants.deleteGrant(id);
        await this.forgetGrant(id);
      },
      ...unsupported('Grant', ['findByUid', 'findByUserCode', 'consume', 'revokeByGrantId']),
    };
  }

  private tokenAdapter(model: TokenModel, errors: Errors): Adapter {
    const label = model === 'RefreshToken' ? 'refresh token' : model === 'AuthorizationCode' ? 'authorization code' : 'access token';
    return {
      upsert: async (id, payload, expiresIn) => {
        if (!payload.grantId) throw new Error(`${model} without a grant`);
        try {
          await this.grants.upsertToken(model, sha256(id), payload.grantId, withoutJti(payload), new Date(Date.now() + expiresIn * 1000));
        } catch (err) {
          // The grant was revoked while this token was being issued (its foreign key is gone).
          if ((err as { driverError?: { code?: string } }).driverError?.code === '23503') throw new errors.InvalidGrant('grant revoked');
          throw err;
        }
      },
      find: async (id) => {
        const payload = await this.grants.findToken(model, sha256(id));
        return payload ? { ...payload, jti: id } : undefined;
      },
      consume: async (id) => {
        if (await this.grants.consumeToken(model, sha256(id), epochNow())) return;
        // Another request consumed it between the provider's read and this write: a replay, as
        // the provider itself treats a consumed code or refresh token. The whole grant goes.
        const payload = await this.grants.findToken(model, sha256(id));
        if (payload?.grantId) await this.revokeGrant(payload.grantId);
        throw new errors.InvalidGrant(`${label} already used`);
      },
      destroy: async (id) => {
        const grantId = await this.grants.deleteToken(model, sha256(id));
        if (grantId && model === 'AccessToken') await this.forgetGrant(grantId);
      },
      revokeByGrantId: async (grantId) => {
        await this.grants.deleteTokensOfGrant(model, grantId);
        if (model === 'AccessToken') await this.forgetGrant(grantId);
      },
      ...unsupported(model, ['findByUid', 'findByUserCode']),
    };
  }

  private async revokeGrant(grantId: string): Promise<void> {
    await this.grants.deleteGrant(grantId);
    await this.forgetGrant(grantId);
  }

  private redisAdapter(model: string): Adapter {
    const keyOf = (id: string) => `${REDIS_PREFIX}${model}:${sha256(id).toString('base64url')}`;
    const uidKeyOf = (uid: string) => `${REDIS_PREFIX}${model}:uid:${sha256(uid).toString('base64url')}`;
    const read = async (key: string | null): Promise<AdapterPayload | undefined> => {
      const sealed = key ? await this.redis.get(key) : null;
      if (!sealed) return undefined;
      try {
        return JSON.parse(unseal(this.config.encryptionKey, sealed, key!).toString('utf8')) as AdapterPayload;
      } catch {
        // Sealed under another ENCRYPTION_KEY, or altered: as good as absent.
        return undefined;
      }
    };
    return {
      upsert: async (id, payload, expiresIn) => {
        const key = keyOf(id);
        const ttl = Math.max(1, Math.ceil(expiresIn || DEFAULT_REDIS_TTL_SECONDS));
        const multi = this.redis.multi().set(key, seal(this.config.encryptionKey, JSON.stringify(payload), key), 'EX', ttl);
        if (typeof payload.uid === 'string') multi.set(uidKeyOf(payload.uid), key, 'EX', ttl);
        await multi.exec();
      },
      find: (id) => read(keyOf(id)),
      findByUid: async (uid) => read(await this.redis.get(uidKeyOf(uid))),
      destroy: async (id) => {
        await this.redis.del(keyOf(id));
      },
      ...unsupported(model, ['findByUserCode', 'consume', 'revokeByGrantId']),
    };
  }

  /**
   * A storage failure (PostgreSQL or Redis down, a pool with no free connection) is 503
   * temporarily_unavailable at the provider's endpoints, not a 500; OAuth errors pass through.
   */
  private unavailableWhenDown(adapter: Adapter, errors: Errors): Adapter {
    const guarded = {} as Adapter;
    for (const name of Object.keys(adapter) as Array<keyof Adapter>) {
      const method = adapter[name] as (...args: unknown[]) => Promise<unknown>;
      (guarded[name] as (...args: unknown[]) => Promise<unknown>) = async (...args: unknown[]) => {
        try {
          return await method(...args);
        } catch (err) {
          if (err instanceof errors.OIDCProviderError) throw err;
          this.logger.warn({ err: err instanceof Error ? err.message : String(err), method: name }, 'OAuth storage unavailable');
          const unavailable = new errors.TemporarilyUnavailable('storage is unavailable; retry shortly');
          unavailable.status = unavailable.statusCode = 503;
          throw unavailable;
        }
      };
    }
    return guarded;
  }
}

/** Methods a model's storage never needs (the provider's features that would call them are off). */
function unsupported<K extends keyof Adapter>(model: string, methods: K[]): Record<K, () => never> {
  return Object.fromEntries(
    methods.map((m) => [
      m,
      () => {
        throw new Error(`${model} storage does not support ${m}`);
      },
    ]),
  ) as Record<K, () => never>;
}
