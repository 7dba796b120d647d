import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { StartedSession } from '../sessions/browser-sessions.service';
import { presentUser, UserDto } from '../users/user.presenter';
import { UserEntity } from '../users/user.entity';
import { WorkspaceDto } from '../workspaces/workspace.presenter';

export class TokenPairDto {
  @ApiProperty({ description: 'JWT for `Authorization: Bearer`.' }) access_token: string;
  @ApiProperty({ description: 'Opaque; send it to POST /auth/refresh. Shown once.' }) refresh_token: string;
  @ApiProperty({ example: 'Bearer' }) token_type: string;
  @ApiProperty({ example: 900, description: 'Seconds until the access token expires.' }) expires_in: number;
  @ApiProperty({ type: UserDto }) user: UserDto;
}

export class RegistrationDto extends TokenPairDto {
  @ApiPropertyOptional({ type: WorkspaceDto, description: 'The first workspace, owned by the new user.' }) workspace: WorkspaceDto;
}

export class ExchangedTokenDto {
  @ApiProperty({ description: 'A JWT with the same scopes and workspace as the credential presented.' }) access_token: string;
  @ApiProperty({ example: 'Bearer' }) token_type: string;
  @ApiProperty({ example: 900 }) expires_in: number;
}

export class BrowserSessionRefDto {
  @ApiProperty({ example: 'bss_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8' }) id: string;
  @ApiProperty({ format: 'date-time' }) expires_at: string;
}

/**
 * What a sign-in answers: a token pair (`access_token`…), a browser session (the cookies are in
 * Set-Cookie; `csrf_token` is for X-CSRF-Token), or, for an account with TOTP on, the first step's
 * `mfa_required` and `mfa_token` (finish with POST /auth/mfa).
 */
export class SignInDto {
  @ApiPropertyOptional({ description: 'Token sign-in: JWT for `Authorization: Bearer`.' }) access_token?: string;
  @ApiPropertyOptional({ description: 'Token sign-in: opaque; send it to POST /auth/refresh. Shown once.' }) refresh_token?: string;
  @ApiPropertyOptional({ example: 'Bearer' }) token_type?: string;
  @ApiPropertyOptional({ example: 900, description: 'Token sign-in: seconds until the access token expires.' }) expires_in?: number;
  @ApiPropertyOptional({ description: 'Browser sign-in (`"session": true`, magic link, passkey): send it as X-CSRF-Token with every state-changing request (it is also in the CSRF cookie: __Host-tessera_csrf over HTTPS, tessera_csrf over HTTP).' }) csrf_token?: string;
  @ApiPropertyOptional({ type: BrowserSessionRefDto, description: 'Browser sign-in: the session the session cookie (HttpOnly; __Host-tessera_session over HTTPS, tessera_session over HTTP) now holds.' }) session?: BrowserSessionRefDto;
  @ApiPropertyOptional({ type: UserDto }) user?: UserDto;
  @ApiPropertyOptional({ description: 'The account has TOTP on: nothing is signed in yet; send mfa_token with a code to POST /auth/mfa.' }) mfa_required?: boolean;
  @ApiPropertyOptional({ example: 'tsr_mfa_…', description: 'Single use, 5 minutes, 5 wrong codes at most.' }) mfa_token?: string;
}

/** The answer of a browser sign-in (its cookies go in Set-Cookie). */
export function presentBrowserSignIn(started: StartedSession, user: UserEntity): SignInDto {
  return { csrf_token: started.csrfToken, session: { id: started.session.id, expires_at: started.session.expiresAt.toISOString() }, user: presentUser(user) };
}
