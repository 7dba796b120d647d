import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension, ApiHeader, ApiSecurity } from '@nestjs/swagger';
import { ApiErrors } from '@tessera/common';
import { Scope } from './scopes';

export const AUTH_METADATA = 'tessera:auth';
export const PUBLIC_METADATA = 'tessera:public';

/** Names of the security schemes in the OpenAPI document. */
export const SecuritySchemes = {
  bearer: 'bearer',
  apiKeyHeader: 'api_key_header',
  sessionCookie: 'session_cookie',
  /** An access token of the built-in OAuth 2.1 provider (/oauth), issued to a third-party app. */
  oauth2: 'oauth2',
} as const;

export interface AuthenticatedOptions {
  /** Scopes the caller needs, all of them. */
  scopes?: Scope[];
  /**
   * Where the route's workspace comes from: `header` (the API key's own workspace, or
   * X-Workspace-ID for JWTs and PATs) or a path parameter holding a workspace id or slug.
   */
  workspace?: 'header' | { param: string };
  /**
   * A platform operator's route (/admin/…): only a signed-in operator account reaches it; to
   * anyone else, with or without a credential, it answers 404 like a route that does not exist.
   */
  operator?: boolean;
}

/**
 * The one decorator a protected route carries: it tells the AuthGuard what to check and puts the
 * same facts (security schemes with their scopes, X-Workspace-ID, 401/403/404) in the OpenAPI document.
 */
export function Authenticated(options: AuthenticatedOptions = {}): MethodDecorator {
  const scopes = options.scopes ?? [];
  if (options.operator) {
    return applyDecorators(SetMetadata(AUTH_METADATA, options), ApiSecurity(SecuritySchemes.bearer, []), ApiSecurity(SecuritySchemes.sessionCookie, []), ApiExtension('x-operator-only', true), ApiErrors(404));
  }
  const decorators: MethodDecorator[] = [
    SetMetadata(AUTH_METADATA, options),
    ApiSecurity(SecuritySchemes.bearer, scopes),
    ApiSecurity(SecuritySchemes.apiKeyHeader, scopes),
    ApiSecurity(SecuritySchemes.sessionCookie, scopes),
    ApiSecurity(SecuritySchemes.oauth2, scopes),
    ApiExtension('x-required-scopes', scopes),
  ];
  if (options.workspace === 'header') {
    decorators.push(
      ApiHeader({
        name: 'X-Workspace-ID',
        required: false,
        description: 'Workspace id or slug. Needed with a JWT or a personal access token not bound to a workspace; an API key acts in its own workspace.',
      }),
    );
  }
  decorators.push(ApiErrors(401, 403, ...(options.workspace ? [404] : [])));
  return applyDecorators(...decorators);
}

/** A route anyone may call (sign-up, login, health). */
export function Public(): MethodDecorator {
  return SetMetadata(PUBLIC_METADATA, true);
}
