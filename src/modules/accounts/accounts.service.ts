import { Injectable } from '@nestjs/common';
import { ApiError, RequestLike } from '@tessera/common';
import { ApiKeysService } from '../api-keys/api-keys.service';
import { AccessTokensService } from '../auth/access-tokens.service';
import { PAT_PREFIX, TokensService } from '../tokens/tokens.service';
import { hashPassword } from '../users/password-hasher';
import { UsersService } from '../users/users.service';
import { UserEntity } from '../users/user.entity';
import { WorkspaceEntity } from '../workspaces/workspace.entity';
import { WorkspacesService } from '../workspaces/workspaces.service';
import { Principal } from '../auth/principal';
import { grants, Scope } from '../auth/scopes';
import { FailedAuthLimiter } from '../rate-limit/failed-auth.limiter';
import { MfaService, SecondFactor } from '../mfa/mfa.service';
import { SignInMethod } from '../sessions/browser-session.entity';
import { BrowserSessionsService, StartedSession } from '../sessions/browser-sessions.service';
import { REFRESH_TOKEN_PREFIX, SessionsService, TokenPair } from './sessions.service';

/** How a sign-in ends: tokens, a browser session, or the second step for an account with TOTP on. */
export type SignInResult =
  | { kind: 'tokens'; user: UserEntity; pair: TokenPair }
  | { kind: 'session'; user: UserEntity; started: StartedSession }
  | { kind: 'mfa'; mfaToken: string };

export interface SignInRequest {
  workspaceId: string | null;
  /** A browser session (cookie) rather than a token pair. */
  session: boolean;
}

@Injectable()
export class AccountsService {
  constructor(
    private readonly users: UsersService,
    private readonly workspaces: WorkspacesService,
    private readonly sessions: SessionsService,
    private readonly apiKeys: ApiKeysService,
    private readonly tokens: TokensService,
    private readonly accessTokens: AccessTokensService,
    private readonly failedAuth: FailedAuthLimiter,
    private readonly browserSessions: BrowserSessionsService,
    private readonly mfa: MfaService,
  ) {}

  /**
   * 422 unless `currentPassword` is the account's password, 429 once the account spent its budget
   * of password checks (FailedAuthLimiter): a stolen access token is no password oracle. The check
   * is paid for before the hash is compared, in one atomic step, so a concurrent burst of guesses
   * cannot all pass a "budget left?" look before any of them is counted.
   */
  async verifyCurrentPassword(userId: string, currentPassword: string | undefined, toChange: string): Promise<void> {
    if (currentPassword) await this.failedAuth.spendPasswordCheck(userId);
    await this.users.assertCurrentPassword(userId, currentPassword, toChange);
  }

  /** A new account, its first workspace (owned by it) and a session, all or nothing. */
  async register(input: { name: string; email: string; password: string; workspace_name?: string }): Promise<{ user: UserEntity; workspace: WorkspaceEntity; pair: TokenPair }> {
    const passwordHash = await hashPassword(input.password);
    const { user, workspace } = await this.users.transaction(async () => {
      const user = await this.users.create({ ...input, passwordHash });
      const workspace = await this.workspaces.create({ name: input.workspace_name ?? `${user.name}'s workspace` }, user.id);
      return { user, workspace };
    });
    return { user, workspace, pair: await this.sessions.start(user.id, null) };
  }

  async login(input: { email: string; password: string; workspace?: string; session?: boolean }, req: RequestLike): Promise<SignInResult> {
    const user = await this.users.verifyCredentials(input.email, input.password);
    if (!user) throw ApiError.unauthorized('The e-mail or password is wrong.');
    let workspaceId: string | null = null;
    if (input.workspace) {
      const access = await this.workspaces.resolveAccess(input.workspace, user.id);
      if (!access?.role) throw ApiError.notFound('Workspace');
      workspaceId = access.id;
    }
    return this.afterFirstFactor(user, 'password', { workspaceId, session: input.session === true }, req);
  }

  /** The first factor (password, magic link) checked out: the second step when TOTP is on, else the sign-in. */
  async afterFirstFactor(user: UserEntity, method: 'password' | 'magic_link', request: SignInRequest, req: RequestLike): Promise<SignInResult> {
    if (await this.mfa.isEnrolled(user.id)) {
      return { kind: 'mfa', mfaToken: await this.mfa.createChallenge({ userId: user.id, workspaceId: request.workspaceId, session: request.session, authMethod: method }) };
    }
    return this.signIn(user, method, request, req);
  }

  /** The second step: the MFA token of the first and a TOTP or recovery code finish the sign-in it asked for. */
  async passMfa(mfaToken: string, factor: SecondFactor, req: RequestLike): Promise<SignInResult> {
    const passed = await this.mfa.passChallenge(mfaToken, factor);
    const user = await this.users.findById(passed.userId);
    return this.signIn(user, `${passed.authMethod}+${passed.factor}` as SignInMethod, { workspaceId: passed.workspaceId, session: passed.session }, req);
  }

  private async signIn(user: UserEntity, method: SignInMethod, request: SignInRequest, req: RequestLike): Promise<SignInResult> {
    if (request.session) return { kind: 'session', user, started: await this.browserSessions.start({ userId: user.id, workspaceId: request.workspaceId, method, req }) };
    return { kind: 'tokens', user, pair: await this.sessions.start(user.id, request.workspaceId) };
  }

  async refresh(refreshToken: string): Promise<{ user: UserEntity; pair: TokenPair }> {
    const { pair, userId } = await this.sessions.refresh(refreshToken);
    return { user: await this.users.findById(userId), pair };
  }

  /**
   * RFC 7009 revocation: a refresh token or PAT of the caller's, or an API key that is the caller
   * itself or lives in a workspace where the caller may delete keys. Anything else: nothing happens.
   */
  async revokeToken(token: string, principal: Principal): Promise<void> {
    if (token.startsWith(REFRESH_TOKEN_PREFIX)) {
      if (principal.userId) await this.sessions.revokeByRefreshToken(token, principal.userId);
    } else if (token.startsWith(PAT_PREFIX)) {
      if (principal.userId) await this.tokens.revokeBySecret(token, principal.userId);
    } else if (token.startsWith('sk_')) {
      const key = await this.apiKeys.verify(token);
      if (!key) return;
      let allowed = principal.kind === 'api_key' && principal.credentialId === key.id;
      if (!allowed && principal.userId && grants(principal.scopes, Scope.ApiKeysDelete)) {
        const access = await this.workspaces.resolveAccess(key.workspaceId, principal.userId);
        allowed = !!access?.role && grants(access.roleScopes, Scope.ApiKeysDelete);
      }
      if (allowed) await this.apiKeys.revoke(key.workspaceId, key.id);
    } else {
      await this.accessTokens.revoke(token, principal);
    }
  }
}
