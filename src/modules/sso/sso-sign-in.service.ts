import { Injectable } from '@nestjs/common';
import { ApiError, newSecret } from '@tessera/common';
import { SessionsService, TokenPair } from '../accounts/sessions.service';
import { RolesService } from '../roles/roles.service';
import { hashPassword } from '../users/password-hasher';
import { UserEntity } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { MembersService } from '../workspaces/members.service';
import { WorkspacesService } from '../workspaces/workspaces.service';
import { SsoConnectionsRepository } from './sso-connections.repository';
import { SsoIdentity } from './sso-flows';
import { acceptedEmail } from './sso-rules';

/** A finished SSO sign-in: the account, the workspace it signed in to, its session. */
export interface SsoSignIn {
  user: UserEntity;
  workspaceId: string;
  pair: TokenPair;
}

/**
 * Who an identity from a workspace's provider signs in as: the account it was linked to before,
 * else the account with the verified address it asserts in an allowed domain (linked now), else
 * a new account. It becomes a member with the connection's default role if it is not one, and
 * gets a session bound to that workspace: the workspace's provider vouches for nothing else.
 */
@Injectable()
export class SsoSignInService {
  constructor(
    private readonly repo: SsoConnectionsRepository,
    private readonly users: UsersService,
    private readonly workspaces: WorkspacesService,
    private readonly members: MembersService,
    private readonly roles: RolesService,
    private readonly sessions: SessionsService,
  ) {}

  async signIn(identity: SsoIdentity): Promise<SsoSignIn> {
    const { connection, workspaceId } = identity;
    await this.assertStillGrantable(workspaceId, connection.configuredBy, connection.defaultRole);
    let userId = await this.repo.findIdentity(connection.id, identity.issuer, identity.subject);
    let newAccount: { email: string; name: string; passwordHash: string } | null = null;
    if (!userId) {
      const email = acceptedEmail(identity.claims, connection.allowedDomains);
      if (!email) throw ApiError.forbidden('The identity provider did not assert a verified e-mail address in a domain this workspace allows.');
      const existing = await this.users.findByEmail(email);
      if (existing) userId = existing.id;
      else {
        const name = typeof identity.claims.name === 'string' && identity.claims.name.trim() ? identity.claims.name.trim().slice(0, 100) : email.split('@')[0];
        // A password nobody knows (hashed before the transaction): the account signs in through
        // its provider, or sets a password by e-mail (POST /auth/password/forgot).
        newAccount = { email, name, passwordHash: await hashPassword(newSecret('', 32)) };
      }
    }
    if (userId && (await this.users.isOperator(userId))) throw ApiError.forbidden("A platform operator's account never signs in through a workspace's identity provider.");
    const workspace = await this.workspaces.get(workspaceId);
    const user = await this.repo
      .transaction(async () => {
        const id = userId ?? (await this.users.create(newAccount!)).id;
        const linked = await this.repo.linkIdentity(connection.id, identity.issuer, identity.subject, id);
        if (!(await this.members.isMember(workspaceId, linked))) await this.members.join(workspace, linked, connection.defaultRole);
        return this.users.findById(linked);
      })
      .finally(() => this.workspaces.invalidateAccess(workspaceId));
    return { user, workspaceId, pair: await this.sessions.start(user.id, workspaceId) };
  }

  /** The connection grants its role only while the owner who set it may still grant it (as an invitation). */
  private async assertStillGrantable(workspaceId: string, configuredBy: string | null, role: string): Promise<void> {
    const scopes = await this.roles.scopesOf(workspaceId, role);
    const configurer = configuredBy && (await this.members.isMember(workspaceId, configuredBy)) ? await this.members.get(workspaceId, configuredBy) : null;
    if (!scopes || configurer?.role !== 'owner') {
      throw ApiError.conflict("This workspace's SSO grants a role that no longer exists, or was set by someone who is no longer an owner: an owner must save it again.");
    }
  }
}
