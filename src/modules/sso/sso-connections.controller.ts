import { Body, Controller, Delete, Get, Put, Req } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { publicBaseUrl, RequestLike, Returns } from '@tessera/common';
import { Audited } from '../audit/audited.decorator';
import { Authenticated } from '../auth/authenticated.decorator';
import { CurrentPrincipal, CurrentWorkspace, Principal, WorkspaceAccess } from '../auth/principal';
import { Scope } from '../auth/scopes';
import { PutSsoConnectionDto } from './dto/sso-connection.dto';
import { presentSsoConnection, SsoConnectionDto } from './sso-connection.presenter';
import { SsoConnectionsService } from './sso-connections.service';

/** A workspace's outside OpenID Connect identity provider. */
@ApiTags('SSO')
@Controller('workspaces/:id/sso-connection')
export class SsoConnectionsController {
  constructor(private readonly connections: SsoConnectionsService) {}

  @Get()
  @ApiOperation({ summary: "The workspace's SSO connection", description: 'The client secret is never shown. 404 when the workspace has none.' })
  @Authenticated({ scopes: [Scope.WorkspacesRead], workspace: { param: 'id' } })
  @Returns(SsoConnectionDto, 'SSO connection fetched.', { errors: [404] })
  async get(@CurrentWorkspace() ws: WorkspaceAccess, @Req() req: RequestLike): Promise<SsoConnectionDto> {
    return presentSsoConnection(await this.connections.get(ws.id), publicBaseUrl(req), ws.slug);
  }

  @Put()
  @ApiOperation({
    summary: "Set the workspace's SSO connection (owners only)",
    description:
      "Creates or replaces it. The issuer's discovery document is fetched first (422 if it cannot be). Members then sign in at sign_in_url; register redirect_uri at the provider. " +
      'An account signs in when the provider asserts a verified e-mail in an allowed domain: created if new, linked if one has that address, and made a member with default_role (403 past your own powers, 422 for owner).',
  })
  @Authenticated({ scopes: [Scope.WorkspacesWrite], workspace: { param: 'id' } })
  @Audited('sso.connection.saved', 'sso_connection')
  @Returns(SsoConnectionDto, 'SSO connection saved.', { errors: [422] })
  async put(@CurrentPrincipal() principal: Principal, @CurrentWorkspace() ws: WorkspaceAccess, @Body() body: PutSsoConnectionDto, @Req() req: RequestLike): Promise<SsoConnectionDto> {
    return presentSsoConnection(await this.connections.put(principal, ws, body), publicBaseUrl(req), ws.slug);
  }

  @Delete()
  @ApiOperation({ summary: "Remove the workspace's SSO connection (owners only)", description: 'Sign-ins through it stop; accounts and memberships it made stay.' })
  @Authenticated({ scopes: [Scope.WorkspacesWrite], workspace: { param: 'id' } })
  @Audited('sso.connection.deleted', 'sso_connection')
  @Returns(null, 'SSO connection removed.', { status: 204, errors: [404] })
  async delete(@CurrentPrincipal() principal: Principal, @CurrentWorkspace() ws: WorkspaceAccess): Promise<void> {
    await this.connections.delete(principal, ws);
  }
}
