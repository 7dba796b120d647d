import { Injectable } from '@nestjs/common';
import { FailedAuthLimiter } from '../rate-limit/failed-auth.limiter';
import { UsersService } from '../users/users.service';

/** The form fields the provider's sign-in page posts. */
export interface SignInForm {
  email: string;
  password: string;
}

/**
 * Who signs in on the provider's sign-in page. Today: e-mail and password, checked by the
 * accounts' own verification (argon2id, a decoy hash for unknown addresses) under POST
 * /auth/login's limit of 10 attempts per 15 minutes per address and e-mail. This is the one
 * place a browser session (cookie) will be accepted too once sessions exist.
 */
@Injectable()
export class InteractionSignIn {
  constructor(
    private readonly users: UsersService,
    private readonly limiter: FailedAuthLimiter,
  ) {}

  /** The account id, or null when the e-mail or password is wrong; 429 RATE_LIMITED past the limit. */
  async signIn(form: SignInForm, clientIp: string): Promise<string | null> {
    const email = form.email.trim().toLowerCase();
    await this.limiter.spendSignIn(clientIp, email);
    const user = await this.users.verifyCredentials(email, form.password);
    return user?.id ?? null;
  }
}
