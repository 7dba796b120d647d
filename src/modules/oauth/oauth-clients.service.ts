import { Injectable } from '@nestjs/common';
import { ApiError, ErrorCode, hashSecret, isId, ListQuery, newId, newSecret, Page } from '@tessera/common';
import { expand } from '../auth/scopes';
import { UsersService } from '../users/users.service';
import { OAuthClientEntity, OAuthClientType } from './oauth-client.entity';
import { OAuthClientPatch, OAuthClientsRepository } from './oauth-clients.repository';
import { OAuthGrantsService } from './oauth-grants.service';

export const CLIENT_SECRET_PREFIX = 'tsr_ocs_';
/** A hard cap rather than an entitlement: apps cost nothing per month; it keeps one account from filling the table. */
export const MAX_OAUTH_CLIENTS = 25;

export interface OAuthClientInput {
  name: string;
  type: OAuthClientType;
  redirect_uris: string[];
  scopes: string[];
}

/** The OAuth clients (third-party apps) an account registers and alone manages. */
@Injectable()
export class OAuthClientsService {
  constructor(
    private readonly repo: OAuthClientsRepository,
    private readonly users: UsersService,
    private readonly grants: OAuthGrantsService,
  ) {}

  list(userId: string, list: ListQuery): Promise<Page<OAuthClientEntity>> {
    return this.repo.list(userId, list);
  }

  async get(userId: string, id: string): Promise<OAuthClientEntity> {
    const client = isId('oac', id) ? await this.repo.find(userId, id) : null;
    if (!client) throw ApiError.notFound('OAuth client');
    return client;
  }

  /** Registers a client; a confidential one's secret is in the answer only (256 random bits, stored as SHA-256). */
  async create(userId: string, input: OAuthClientInput): Promise<{ client: OAuthClientEntity; secret: string | null }> {
    const secret = input.type === 'confidential' ? newSecret(CLIENT_SECRET_PREFIX) : null;
    const now = new Date();
    const client = Object.assign(new OAuthClientEntity(), {
      id: newId('oac'),
      userId,
      name: input.name.trim(),
      type: input.type,
      redirectUris: [...new Set(input.redirect_uris)],
      scopes: expand(input.scopes),
      secretHash: secret ? hashSecret(secret) : null,
      secretPrefix: secret ? secret.slice(0, 12) : null,
      createdAt: now,
      updatedAt: now,
    });
    await this.repo.transaction(async () => {
      // The account row is held so that concurrent registrations count one after another.
      await this.users.lockForUpdate(userId);
      const count = await this.repo.count(userId);
      if (count >= MAX_OAUTH_CLIENTS) {
        throw new ApiError(409, ErrorCode.CONFLICT, `An account registers at most ${MAX_OAUTH_CLIENTS} OAuth clients; delete one to add another.`, { limit: MAX_OAUTH_CLIENTS, current_usage: count });
      }
      await this.repo.insert(client);
    });
    const { secretHash: _, ...visible } = client;
    return { client: Object.assign(new OAuthClientEntity(), visible), secret };
  }

  async update(userId: string, id: string, input: Partial<Omit<OAuthClientInput, 'type'>>): Promise<OAuthClientEntity> {
    await this.get(userId, id);
    const patch: OAuthClientPatch = {
      ...(input.name !== undefined ? { name: input.name.trim() } : {}),
      ...(input.redirect_uris !== undefined ? { redirectUris: [...new Set(input.redirect_uris)] } : {}),
      ...(input.scopes !== undefined ? { scopes: expand(input.scopes) } : {}),
    };
    await this.repo.update(userId, id, patch);
    // Verified tokens carry their client's scopes for a few seconds: narrowed scopes apply at once.
    if (input.scopes !== undefined) await this.grants.forgetGrants(await this.grants.grantIdsOfClient(id));
    return this.get(userId, id);
  }

  /** A new secret for a confidential client, shown once; the old one stops working at once. */
  async rotateSecret(userId: string, id: string): Promise<{ client: OAuthClientEntity; secret: string }> {
    const client = await this.get(userId, id);
    if (client.type !== 'confidential') throw ApiError.conflict('A public client has no secret to rotate.');
    const secret = newSecret(CLIENT_SECRET_PREFIX);
    if (!(await this.repo.setSecret(userId, id, hashSecret(secret), secret.slice(0, 12)))) throw ApiError.notFound('OAuth client');
    return { client: await this.get(userId, id), secret };
  }

  /** Deletes the client: every authorization of it and every token issued to it stop working at once. */
  async delete(userId: string, id: string): Promise<void> {
    const grantIds = isId('oac', id) ? await this.repo.delete(userId, id) : null;
    if (!grantIds) throw ApiError.notFound('OAuth client');
    await this.grants.forgetGrants(grantIds);
  }
}
