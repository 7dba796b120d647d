import { Injectable } from '@nestjs/common';
import { ApiError, RequestLike } from '@tessera/common';
import { MfaService } from '../mfa/mfa.service';
import { FailedAuthLimiter } from '../rate-limit/failed-auth.limiter';
import { BrowserSessionsService } from '../sessions/browser-sessions.service';
import { UsersService } from '../users/users.service';

/** The form fields the provider's sign-in page posts. */
export interface SignInForm {
  email: string;
  password: string;
  /** A current TOTP code or an unused recovery code, for an account with two-factor sign-in. */
  code?: string;
}

/** A sign-in, with the stamp of the password hash it was verified against (UsersService.passwordStampOf). */
export type SignInOutcome = { userId: string; passwordStamp: string } | { refused: 'credentials' | 'code_required' | 'code_wrong'; message?: string };

/**
 * Who signs in on the provider's sign-in page, by the same rules as the API's own sign-in:
 * - a browser session (the cookie a sign-in with "session": true, a magic link or a passkey set)
 *   that is not bound to one workspace signs the user in as it is;
 * - else e-mail and password (argon2id, a decoy hash for unknown addresses) under POST
 *   /auth/login's limit of 10 attempts per 15 minutes per address and e-mail, and, for an account
 *   with TOTP on, a current code or a recovery code (each accepted once, under the account's
 *   budget of code checks): a password alone never gets an app a token for such an account.
 */
@Injectable()
export class InteractionSignIn {
  constructor(
    private readonly users: UsersService,
    private readonly limiter: FailedAuthLimiter,
    private readonly mfa: MfaService,
    private readonly sessions: BrowserSessionsService,
  ) {}

  /** The user the browser is signed in as, when its session may be used for any workspace. */
  async fromSession(req: RequestLike): Promise<string | null> {
    const session = await this.sessions.signedInUser(req);
    return session && session.workspaceId === null ? session.userId : null;
  }

  /** Checks the form; 429 RATE_LIMITED past the sign-in or code-check limit, 503 when Redis cannot count them. */
  async signIn(form: SignInForm, clientIp: string): Promise<SignInOutcome> {
    const email = form.email.trim().toLowerCase();
    await this.limiter.spendSignIn(clientIp, email);
    const user = await this.users.verifyCredentials(email, form.password);
    if (!user) return { refused: 'credentials' };
    const passed = { userId: user.id, passwordStamp: this.users.passwordStampOf(user.passwordHash) };
    if (!(await this.mfa.isEnrolled(user.id))) return passed;
    const code = form.code?.trim() ?? '';
    if (!code) return { refused: 'code_required' };
    const challenge = await this.mfa.createChallenge({ userId: user.id, workspaceId: null, session: false, authMethod: 'password' });
    try {
      await this.mfa.passChallenge(challenge, /^\d{6}$/.test(code) ? { code } : { recovery_code: code });
      return passed;
    } catch (err) {
      // Over the code budget (429), or the budget cannot be checked (503): not a wrong code.
      if (err instanceof ApiError && [429, 503].includes(err.getStatus())) throw err;
      return { refused: 'code_wrong' };
    }
  }
}
