import { Inject, Injectable } from '@nestjs/common';
import { ApiError, newId, seal, unseal, webhookUrlProblem } from '@tessera/common';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { Principal, WorkspaceAccess } from '../auth/principal';
import { MembersService } from '../workspaces/members.service';
import { SsoConnectionEntity } from './sso-connection.entity';
import { SsoConnectionsRepository } from './sso-connections.repository';
import { SsoFlows } from './sso-flows';
import { SsoProviderUnreachable } from './sso-http';

export interface SsoConnectionInput {
  issuer: string;
  client_id: string;
  client_secret?: string;
  allowed_domains: string[];
  default_role: string;
}

/** A workspace's SSO connection: set by its owners, the default role never past their own. */
@Injectable()
export class SsoConnectionsService {
  constructor(
    private readonly repo: SsoConnectionsRepository,
    private readonly members: MembersService,
    private readonly flows: SsoFlows,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async get(workspaceId: string): Promise<SsoConnectionEntity> {
    const connection = await this.repo.findByWorkspace(workspaceId);
    if (!connection) throw ApiError.notFound('SSO connection');
    return connection;
  }

  /**
   * Creates or replaces the connection. Only an owner (a user's credential) may; the default role
   * is one the caller may grant and never owner; the issuer must be https on public addresses and
   * serve a discovery document, fetched here, before anything is saved.
   */
  async put(principal: Principal, ws: WorkspaceAccess, input: SsoConnectionInput): Promise<SsoConnectionEntity> {
    assertOwner(principal, ws);
    await this.members.assertCanGrant(principal, input.default_role);
    const issuer = input.issuer.trim().replace(/\/+$/, '');
    const problem = await webhookUrlProblem(issuer, { allowPrivate: this.config.ssoAllowPrivateIssuers });
    if (problem || /[?#]/.test(issuer)) throw ApiError.validation({ issuer: [problem ?? 'must have no query or fragment'] });
    const existing = await this.repo.findWithSecret(ws.id);
    // The stored secret goes only to the provider it was made for: a connection moved to another
    // issuer would otherwise hand it (client_secret_basic) to whoever runs that one.
    const kept = existing && existing.issuer === issuer ? unseal(this.config.encryptionKey, existing.clientSecretSealed, ws.id).toString('utf8') : undefined;
    const secret = input.client_secret ?? kept;
    if (!secret) throw ApiError.validation({ client_secret: ['is required when the workspace has no connection yet, or for another issuer'] });
    try {
      await this.flows.discover(issuer, input.client_id, secret);
    } catch (err) {
      if (err instanceof SsoProviderUnreachable) throw ApiError.validation({ issuer: [err.message] });
      throw err;
    }
    const now = new Date();
    const connection = Object.assign(new SsoConnectionEntity(), {
      id: existing?.id ?? newId('sso'),
      workspaceId: ws.id,
      issuer,
      clientId: input.client_id,
      // The workspace id as associated data: the sealed secret opens for this workspace only.
      clientSecretSealed: seal(this.config.encryptionKey, secret, ws.id),
      allowedDomains: [...new Set(input.allowed_domains)],
      defaultRole: input.default_role,
      configuredBy: principal.userId,
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    });
    await this.repo.transaction(async () => {
      await this.repo.upsert(connection);
      const saved = (await this.repo.findByWorkspace(ws.id))!;
      await this.repo.forgetIdentitiesNotOf(saved.id, issuer);
    });
    return this.get(ws.id);
  }

  async delete(principal: Principal, ws: WorkspaceAccess): Promise<void> {
    assertOwner(principal, ws);
    if (!(await this.repo.delete(ws.id))) throw ApiError.notFound('SSO connection');
  }
}

/** "A workspace's owners configure": an owner's own credential, not a key or an admin. */
function assertOwner(principal: Principal, ws: WorkspaceAccess): void {
  if (principal.kind === 'api_key' || ws.role !== 'owner') throw ApiError.forbidden("Only the workspace's owners configure its SSO.");
}
