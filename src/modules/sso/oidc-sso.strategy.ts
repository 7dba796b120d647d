import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { CallbackRequest, SsoFlows, SsoIdentity, SsoRefused } from './sso-flows';
import { SsoSignIn, SsoSignInService } from './sso-sign-in.service';

/** The name the passport strategy is registered under. */
export const OIDC_SSO_STRATEGY = 'oidc-sso';

type Verified = (err: Error | null, user?: SsoSignIn | false, info?: { message: string }) => void;

/** What passport adds to a strategy while it authenticates one request. */
interface StrategyActions {
  success(user: unknown, info?: unknown): void;
  fail(challenge: { message: string }, status: number): void;
  error(err: Error): void;
}

/**
 * A passport strategy for an OpenID Connect authorization-code callback: it authenticates the
 * request with the workspace's provider (SsoFlows.finish: state, browser binding, PKCE, code
 * exchange, ID token), then hands the identity to the verify callback, which finds or makes the
 * account. A refusal is passport's fail (401), a provider that does not answer an error (503).
 */
export class OidcCallbackStrategy {
  constructor(
    private readonly flows: SsoFlows,
    private readonly verify: (identity: SsoIdentity, done: Verified) => void,
  ) {}

  authenticate(this: OidcCallbackStrategy & StrategyActions, req: CallbackRequest): void {
    this.flows.finish(req).then(
      (identity) =>
        this.verify(identity, (err, user, info) => {
          if (err) return this.error(err);
          if (!user) return this.fail(info ?? { message: 'Sign-in refused.' }, 401);
          this.success(user);
        }),
      (err: unknown) => (err instanceof SsoRefused ? this.fail({ message: err.message }, 401) : this.error(err as Error)),
    );
  }
}

/** The strategy in Nest: the verify callback is SsoSignInService.signIn. */
@Injectable()
export class OidcSsoStrategy extends PassportStrategy(OidcCallbackStrategy, OIDC_SSO_STRATEGY) {
  constructor(
    flows: SsoFlows,
    private readonly signIns: SsoSignInService,
  ) {
    super(flows);
  }

  validate(identity: SsoIdentity): Promise<SsoSignIn> {
    return this.signIns.signIn(identity);
  }
}
