import { Body, Controller, Get, Post, Query, Req, Res } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ApiConsumes, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrors, clientIp, header, RequestLike, Returns } from '@tessera/common';
import { Audited } from '../audit/audited.decorator';
import { AuditService } from '../audit/audit.service';
import { AccessTokensService } from '../auth/access-tokens.service';
import { presentUser } from '../users/user.presenter';
import { presentWorkspace } from '../workspaces/workspace.presenter';
import { AccountsService, SignInResult } from './accounts.service';
import { Authenticated, Public } from '../auth/authenticated.decorator';
import { ExchangedTokenDto, presentBrowserSignIn, RegistrationDto, SignInDto, TokenPairDto } from './accounts.presenter';
import { ForgotPasswordDto, LoginDto, MagicLinkDto, MagicLinkVerifyDto, MagicLinkVerifyQuery, RefreshDto, RegisterDto, ResetPasswordDto, RevokeDto } from './dto/accounts.dto';
import { MAGIC_LINK_PAGE_HEADERS, magicLinkPage } from './magic-link-page';
import { MAGIC_LINK_PATH, MagicLinkService } from './magic-link.service';
import { RouteLimit } from '../rate-limit/route-limit.decorator';
import { PasswordResetService } from './password-reset.service';
import { CurrentPrincipal, Principal } from '../auth/principal';
import { SessionsService } from './sessions.service';
import { MfaLoginDto } from '../mfa/dto/mfa.dto';
import { BrowserSessionsService } from '../sessions/browser-sessions.service';
import { clearedSessionCookies, sessionCookies, writeCookies } from '../sessions/session-cookies';

@ApiTags('Auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly accounts: AccountsService,
    private readonly sessions: SessionsService,
    private readonly resets: PasswordResetService,
    private readonly accessTokens: AccessTokensService,
    private readonly browserSessions: BrowserSessionsService,
    private readonly magicLinks: MagicLinkService,
    private readonly audit: AuditService,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  /** A sign-in's answer; a browser session's cookies go in Set-Cookie. */
  private answer(result: SignInResult, req: RequestLike, res: unknown): SignInDto {
    if (result.kind === 'mfa') return { mfa_required: true, mfa_token: result.mfaToken };
    if (result.kind === 'tokens') return { ...result.pair, user: presentUser(result.user) };
    const { started } = result;
    writeCookies(this.adapterHost.httpAdapter, res, sessionCookies(req, started.secret, started.csrfToken, started.maxAgeSeconds));
    return presentBrowserSignIn(started, result.user);
  }

  @Post('register')
  @Public()
  @Audited('user.registered', 'user')
  @ApiOperation({ summary: 'Create an account, its first workspace and a session' })
  @Returns(RegistrationDto, 'Account created.', { status: 201, errors: [409, 422] })
  async register(@Body() body: RegisterDto): Promise<RegistrationDto> {
    const { user, workspace, pair } = await this.accounts.register(body);
    return { ...pair, user: presentUser(user), workspace: presentWorkspace(workspace, 'owner') };
  }

  @Post('login')
  @Public()
  @RouteLimit({ limit: 10, windowSeconds: 900, by: 'ip+email' })
  @Audited('auth.login.succeeded', 'user', { onFailure: 'auth.login.failed' })
  @ApiOperation({
    summary: 'Sign in with e-mail and password',
    description:
      'With `workspace` (alias `tenantSlug`), the sign-in is bound to that workspace. With `"session": true`, a browser session: the answer sets the ' +
      'HttpOnly session cookie and the CSRF cookie (`__Host-tessera_session` and `__Host-tessera_csrf` over HTTPS, `tessera_session` and `tessera_csrf` over HTTP) instead of returning tokens. For an account with TOTP on, nothing is signed in ' +
      'yet: the answer is `{mfa_required: true, mfa_token}`, finished by POST /auth/mfa.',
  })
  @Returns(SignInDto, 'Signed in.', { status: 200, errors: [401, 404, 422] })
  async login(@Body() body: LoginDto, @Req() req: RequestLike, @Res({ passthrough: true }) res: unknown): Promise<SignInDto> {
    const result = await this.accounts.login({ email: body.email, password: body.password, workspace: body.workspace ?? body.tenantSlug, session: body.session }, req);
    return this.answer(result, req, res);
  }

  @Post('mfa')
  @Public()
  @RouteLimit({ limit: 60, windowSeconds: 900, by: 'ip' })
  @Audited('auth.mfa.succeeded', 'user', { onFailure: 'auth.mfa.failed' })
  @ApiOperation({
    summary: 'Finish a sign-in with a second factor: the mfa_token and a TOTP code or a recovery code',
    description:
      'Answers what the first step asked for: tokens, or a browser session (Set-Cookie). A TOTP code is accepted once (the same code again is refused, ' +
      'even within its 30 s); a recovery code works once. A token takes 5 wrong codes at most, and each account 10 code checks per 15 minutes (429 past them). ' +
      'When that budget cannot be counted (Redis unavailable), no code is checked: 503 with Retry-After.',
  })
  @Returns(SignInDto, 'Signed in.', { status: 200, errors: [401, 422, 429, 503] })
  async mfa(@Body() body: MfaLoginDto, @Req() req: RequestLike, @Res({ passthrough: true }) res: unknown): Promise<SignInDto> {
    return this.answer(await this.accounts.passMfa(body.mfa_token, body, req), req, res);
  }

  @Post('refresh')
  @Public()
  @ApiOperation({ summary: 'Exchange a refresh token for a new pair (the old one stops working)', description: 'Presenting a refresh token that was already rotated revokes the whole session.' })
  @Returns(TokenPairDto, 'Tokens refreshed.', { status: 200, errors: [401, 422] })
  async refresh(@Body() body: RefreshDto): Promise<TokenPairDto> {
    // The DTO guarantees one of the two (and that they agree when both are sent).
    const { user, pair } = await this.accounts.refresh((body.refresh_token ?? body.refreshToken)!);
    return { ...pair, user: presentUser(user) };
  }

  @Post('magic-link')
  @Public()
  @RouteLimit({ limit: 5, windowSeconds: 900, by: 'ip+email' })
  @ApiOperation({
    summary: 'E-mail a sign-in link (passwordless)',
    description:
      'Always 202, whether or not an account uses the address. The link works once, for 15 minutes; a newer link (or a password reset) voids the older ones. ' +
      'It opens a page (GET /auth/magic-link/verify) whose button signs the browser in (POST /auth/magic-link/verify).',
  })
  @Returns(null, 'If an account uses this address, a sign-in link is on its way.', { status: 202, errors: [422] })
  async magicLink(@Body() body: MagicLinkDto, @Req() req: RequestLike): Promise<null> {
    await this.magicLinks.request(body.email, req.id ?? null);
    return null;
  }

  @Get('magic-link/verify')
  @Public()
  @ApiOperation({
    summary: 'Open the e-mailed link: a page whose button signs in',
    description:
      'The link of the e-mail. Answers a small HTML page (no script, never framed, not cached) whose "Sign in" button posts the token to POST /auth/magic-link/verify. ' +
      'Opening it spends nothing, looks nothing up and sets no cookie, so mail scanners and link previews that open links cannot use them up; the token is judged by the POST. ' +
      '400 (in the envelope) for a missing or malformed `token`.',
  })
  @ApiResponse({ status: 200, description: 'The confirmation page.', content: { 'text/html': { schema: { type: 'string' } } } })
  @ApiErrors(400)
  verifyMagicLinkPage(@Query() query: MagicLinkVerifyQuery, @Res() res: unknown): void {
    const http = this.adapterHost.httpAdapter;
    for (const [name, value] of Object.entries(MAGIC_LINK_PAGE_HEADERS)) http.setHeader(res, name, value);
    http.setHeader(res, 'Content-Type', 'text/html; charset=utf-8');
    http.reply(res, magicLinkPage({ action: MAGIC_LINK_PATH, token: query.token }), 200);
  }

  @Post('magic-link/verify')
  @Public()
  @ApiConsumes('application/json', 'application/x-www-form-urlencoded')
  @ApiOperation({
    summary: "Sign in with the e-mailed link's token: a browser session",
    description:
      "What the link's page posts (an HTML form), or a JSON client (`{token}`). Taken only from the API's own origin or one of ALLOWED_ORIGINS (the Origin header, as for writes " +
      'made with the session cookie; else 403), so another site cannot sign a browser in to an account of its choosing. Spends the token and sets the session cookies like ' +
      'POST /auth/login with `"session": true`; for an account with TOTP on, answers `{mfa_required: true, mfa_token}` instead (finish with POST /auth/mfa). ' +
      '401 for a token that is invalid, expired or used; failures count against the address like failed sign-ins (429 past 30 a minute).',
  })
  @Returns(SignInDto, 'Signed in.', { status: 200, errors: [401, 403, 422] })
  async verifyMagicLink(@Body() body: MagicLinkVerifyDto, @Req() req: RequestLike, @Res({ passthrough: true }) res: unknown): Promise<SignInDto> {
    const user = await this.magicLinks.consume(body.token, req);
    // Recorded here, not by @Audited: the account is known here, and the MFA step's answer names none.
    this.audit.record({ workspaceId: null, actorType: 'user', actorId: user.id, action: 'auth.magic_link.used', targetType: 'user', targetId: user.id, ip: clientIp(req), userAgent: header(req, 'user-agent') ?? null, requestId: req.id ?? null });
    return this.answer(await this.accounts.afterFirstFactor(user, 'magic_link', { workspaceId: null, session: true }, req), req, res);
  }

  @Post('logout')
  @Audited('auth.logout', 'session')
  @ApiOperation({ summary: 'End the current session (its refresh and access tokens stop working; a browser session\'s cookies are cleared)' })
  @Authenticated()
  @Returns(null, 'Signed out.', { status: 204 })
  @ApiErrors(401)
  async logout(@CurrentPrincipal() principal: Principal, @Req() req: RequestLike, @Res({ passthrough: true }) res: unknown): Promise<void> {
    if (principal.viaSessionCookie) {
      await this.browserSessions.revoke(principal.userId!, principal.credentialId);
      writeCookies(this.adapterHost.httpAdapter, res, clearedSessionCookies(req));
    } else if (principal.kind === 'user') {
      await this.sessions.revokeFamily(principal.credentialId);
    }
  }

  @Get('token')
  @ApiOperation({ summary: 'Exchange the API key or personal access token presented for a short-lived JWT with the same scopes and workspace', description: 'For browser widgets that must not hold the long-lived secret. The JWT lives ACCESS_TOKEN_TTL_SECONDS (default 15 minutes) but never past the key\'s or token\'s expiry or rotation grace, and cannot itself be exchanged (400).' })
  @Authenticated()
  @Returns(ExchangedTokenDto, 'Token issued.', { errors: [400] })
  exchange(@CurrentPrincipal() principal: Principal): Promise<ExchangedTokenDto> {
    return this.accessTokens.exchange(principal);
  }

  @Post('revoke')
  @ApiOperation({ summary: 'Revoke a token of yours: refresh token, access token, personal access token or API key', description: 'RFC 7009: 200 whether or not the token existed or was yours. A revoked access token is refused at once by every API process.' })
  @Authenticated()
  @Audited('auth.token.revoked', 'token')
  @Returns(null, 'Token revoked if it was yours.', { status: 200, errors: [422] })
  async revoke(@CurrentPrincipal() principal: Principal, @Body() body: RevokeDto): Promise<null> {
    await this.accounts.revokeToken(body.token, principal);
    return null;
  }

  @Post('password/forgot')
  @Public()
  @RouteLimit({ limit: 5, windowSeconds: 3600, by: 'ip' })
  @ApiOperation({ summary: 'Ask for a password-reset e-mail', description: 'Always 202, whether or not an account uses the address.' })
  @Returns(null, 'If an account uses this address, a reset e-mail is on its way.', { status: 202, errors: [422] })
  async forgot(@Body() body: ForgotPasswordDto, @Req() req: RequestLike): Promise<null> {
    await this.resets.request(body.email, req.id ?? null);
    return null;
  }

  @Post('password/reset')
  @Public()
  @Audited('auth.password.reset', 'user', { onFailure: 'auth.password.reset_failed' })
  @ApiOperation({ summary: 'Set a new password with the token from the e-mail', description: 'The token works once, for 60 minutes; every session and every personal access token of the user ends (API keys stay: they belong to workspaces).' })
  @Returns(null, 'Password reset.', { status: 200, errors: [422] })
  async reset(@Body() body: ResetPasswordDto, @Req() req: RequestLike): Promise<null> {
    await this.resets.reset(body.token, body.password, req.id ?? null);
    return null;
  }
}
