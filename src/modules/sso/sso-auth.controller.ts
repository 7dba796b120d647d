import { Controller, Get, Param, Req, Res, UseGuards } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrors, clientIp, header, publicBaseUrl, RequestLike, Returns } from '@tessera/common';
import { TokenPairDto } from '../accounts/accounts.presenter';
import { AuditService } from '../audit/audit.service';
import { Public } from '../auth/authenticated.decorator';
import { RouteLimit } from '../rate-limit/route-limit.decorator';
import { presentUser } from '../users/user.presenter';
import { ssoUrls } from './sso-connection.presenter';
import { SSO_BINDING_COOKIE, SSO_FLOW_SECONDS, SsoFlows } from './sso-flows';
import { SsoCallbackGuard } from './sso-callback.guard';
import { SsoSignIn } from './sso-sign-in.service';

type SignedIn = RequestLike & { user?: SsoSignIn };

/** Signing in through a workspace's outside OpenID Connect provider (SSO). */
@ApiTags('SSO')
@Controller('auth/sso/:workspace_slug')
export class SsoAuthController {
  constructor(
    private readonly flows: SsoFlows,
    private readonly adapterHost: HttpAdapterHost,
    private readonly audit: AuditService,
  ) {}

  @Get()
  @Public()
  @RouteLimit({ limit: 30, windowSeconds: 60, by: 'ip' })
  @ApiOperation({
    summary: "Start signing in with the workspace's identity provider",
    description: `Redirects (302) the browser to the provider with an authorization code request (PKCE S256, state, nonce) and sets the ${SSO_BINDING_COOKIE} cookie that binds the sign-in to this browser (${SSO_FLOW_SECONDS / 60} minutes). 404 when the workspace has no SSO.`,
  })
  @ApiParam({ name: 'workspace_slug', example: 'acme' })
  @ApiResponse({ status: 302, description: "To the identity provider's authorization endpoint." })
  @ApiErrors(404, 503)
  async start(@Param('workspace_slug') slug: string, @Req() req: RequestLike, @Res() res: unknown): Promise<void> {
    const base = publicBaseUrl(req);
    const { url, binding } = await this.flows.start(slug, ssoUrls(base, slug).redirect_uri);
    const secure = base.startsWith('https:') ? '; Secure' : '';
    const http = this.adapterHost.httpAdapter;
    http.setHeader(res, 'Set-Cookie', `${SSO_BINDING_COOKIE}=${binding}; Path=/api/v1/auth/sso; Max-Age=${SSO_FLOW_SECONDS}; HttpOnly; SameSite=Lax${secure}`);
    http.setHeader(res, 'Cache-Control', 'no-store');
    http.redirect(res, 302, url);
  }

  @Get('callback')
  @Public()
  @UseGuards(SsoCallbackGuard)
  @RouteLimit({ limit: 30, windowSeconds: 60, by: 'ip' })
  @ApiOperation({
    summary: 'Where the identity provider sends the browser back: signs in',
    description:
      'Checks the state (single use, started in this browser), exchanges the code with PKCE and validates the ID token (issuer, audience, signature, nonce). ' +
      'Answers the token pair as POST /auth/login does, bound to the workspace. 401 for a refused sign-in (the reason in message), 403 when the provider asserts no verified e-mail in an allowed domain, 503 when it does not answer.',
  })
  @ApiParam({ name: 'workspace_slug', example: 'acme' })
  @Returns(TokenPairDto, 'Signed in.', { errors: [401, 403, 404, 409, 503] })
  callback(@Param('workspace_slug') slug: string, @Req() req: SignedIn): TokenPairDto {
    const { user, pair, workspaceId } = req.user!;
    this.audit.record({
      workspaceId,
      actorType: 'user',
      actorId: user.id,
      action: 'auth.sso.signed_in',
      targetType: 'user',
      targetId: user.id,
      ip: clientIp(req),
      userAgent: header(req, 'user-agent') ?? null,
      requestId: req.id ?? null,
      metadata: { workspace_slug: slug },
    });
    return { ...pair, user: presentUser(user) };
  }
}
