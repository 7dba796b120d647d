import { Controller, Delete, Get, Param } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ListParams, ListQuery, ListSpec, Page, Returns } from '@tessera/common';
import { Audited } from '../audit/audited.decorator';
import { Authenticated } from '../auth/authenticated.decorator';
import { CurrentPrincipal, Principal, unboundUserIdOf } from '../auth/principal';
import { Scope } from '../auth/scopes';
import { AuthorizationDto, presentAuthorization } from './oauth-authorization.presenter';
import { OAuthGrantsService } from './oauth-grants.service';

const AUTHORIZATION_LIST: ListSpec = {
  sortable: ['created_at'],
  defaultSort: '-created_at',
  fields: ['id', 'client', 'workspace', 'scopes', 'created_at', 'expires_at'],
  filters: { client_id: null, workspace_id: null },
};

/** The apps I authorized (OAuth grants), each in one workspace; revoking one ends its tokens. */
@ApiTags('OAuth authorizations')
@Controller('me/authorizations')
export class OAuthAuthorizationsController {
  constructor(private readonly grants: OAuthGrantsService) {}

  @Get()
  @ApiOperation({ summary: 'List the apps I authorized', description: 'client_id= and workspace_id= filter. A credential bound to one workspace (a pinned token, an OAuth token) gets 403: this reaches across workspaces.' })
  @Authenticated({ scopes: [Scope.TokensRead] })
  @Returns(AuthorizationDto, 'Authorizations fetched.', { list: true })
  async list(@CurrentPrincipal() principal: Principal, @ListParams(AUTHORIZATION_LIST) list: ListQuery): Promise<Page<AuthorizationDto>> {
    const page = await this.grants.listForUser(unboundUserIdOf(principal), list);
    const labels = new Map((await this.grants.labels(page.items.map((g) => g.id))).map((l) => [l.id, l]));
    return page.map((g) => presentAuthorization(g, labels.get(g.id)));
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get one app I authorized' })
  @Authenticated({ scopes: [Scope.TokensRead] })
  @Returns(AuthorizationDto, 'Authorization fetched.', { errors: [404] })
  async get(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<AuthorizationDto> {
    const grant = await this.grants.getForUser(unboundUserIdOf(principal), id);
    const [labels] = await this.grants.labels([grant.id]);
    return presentAuthorization(grant, labels);
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Revoke an app I authorized', description: 'Its access and refresh tokens stop working at once, in every API process.' })
  @Authenticated({ scopes: [Scope.TokensDelete] })
  @Audited('oauth.authorization.revoked', 'oauth_authorization')
  @Returns(null, 'Authorization revoked.', { status: 204, errors: [404] })
  async revoke(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<void> {
    await this.grants.revokeForUser(unboundUserIdOf(principal), id);
  }
}
