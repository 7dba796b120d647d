import { Injectable } from '@nestjs/common';
import { AuthGuard as PassportGuard } from '@nestjs/passport';
import { ApiError } from '@tessera/common';
import { OIDC_SSO_STRATEGY } from './oidc-sso.strategy';

/** Runs the OpenID Connect callback strategy; a refusal is 401 in the envelope with its reason. */
@Injectable()
export class SsoCallbackGuard extends PassportGuard(OIDC_SSO_STRATEGY) {
  override handleRequest<T>(err: unknown, user: T | false, info: unknown): T {
    if (err) throw err;
    if (!user) throw ApiError.unauthorized((info as { message?: string } | undefined)?.message ?? 'Sign-in refused.');
    return user;
  }
}
