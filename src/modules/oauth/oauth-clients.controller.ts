import { Body, Controller, Delete, Get, Param, Patch, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ListParams, ListQuery, ListSpec, Page, Returns } from '@tessera/common';
import { Audited } from '../audit/audited.decorator';
import { Authenticated } from '../auth/authenticated.decorator';
import { CurrentPrincipal, Principal, userIdOf } from '../auth/principal';
import { Scope } from '../auth/scopes';
import { CreateOAuthClientDto, UpdateOAuthClientDto } from './dto/oauth-client.dto';
import { OAUTH_CLIENT_TYPES } from './oauth-client.entity';
import { NewOAuthClientDto, OAuthClientDto, presentOAuthClient } from './oauth-client.presenter';
import { MAX_OAUTH_CLIENTS, OAuthClientsService } from './oauth-clients.service';

const CLIENT_LIST: ListSpec = {
  sortable: ['created_at', 'updated_at', 'name'],
  defaultSort: '-created_at',
  fields: ['id', 'name', 'type', 'redirect_uris', 'scopes', 'secret_prefix', 'created_at', 'updated_at'],
  filters: { type: OAUTH_CLIENT_TYPES },
  updatable: true,
};

/** Third-party apps an account registers with the built-in OAuth 2.1 / OpenID Connect provider (/oauth). */
@ApiTags('OAuth clients')
@Controller('oauth-clients')
export class OAuthClientsController {
  constructor(private readonly clients: OAuthClientsService) {}

  @Get()
  @ApiOperation({ summary: 'List the OAuth clients I registered', description: 'type= filters. Secrets are never listed (secret_prefix is).' })
  @Authenticated({ scopes: [Scope.OAuthClientsRead] })
  @Returns(OAuthClientDto, 'OAuth clients fetched.', { list: true })
  async list(@CurrentPrincipal() principal: Principal, @ListParams(CLIENT_LIST) list: ListQuery): Promise<Page<OAuthClientDto>> {
    return (await this.clients.list(userIdOf(principal), list)).map(presentOAuthClient);
  }

  @Post()
  @ApiOperation({
    summary: 'Register an OAuth client',
    description:
      'Its `id` is the client_id. A confidential client gets its client_secret in this answer only (send it with client_secret_basic or client_secret_post); ' +
      `a public client has none. Every client must use PKCE (S256); the authorization code flow is the only one. 409 past ${MAX_OAUTH_CLIENTS} clients per account.`,
  })
  @Authenticated({ scopes: [Scope.OAuthClientsWrite] })
  @Audited('oauth_client.created', 'oauth_client')
  @Returns(NewOAuthClientDto, 'OAuth client registered.', { status: 201, errors: [409, 422] })
  async create(@CurrentPrincipal() principal: Principal, @Body() body: CreateOAuthClientDto): Promise<NewOAuthClientDto> {
    const { client, secret } = await this.clients.create(userIdOf(principal), body);
    return { ...presentOAuthClient(client), client_secret: secret };
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get one of my OAuth clients' })
  @Authenticated({ scopes: [Scope.OAuthClientsRead] })
  @Returns(OAuthClientDto, 'OAuth client fetched.', { errors: [404] })
  async get(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<OAuthClientDto> {
    return presentOAuthClient(await this.clients.get(userIdOf(principal), id));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Update one of my OAuth clients', description: 'name, redirect_uris, scopes (each list replaces the old one). Scopes taken away stop working at once in tokens already issued.' })
  @Authenticated({ scopes: [Scope.OAuthClientsWrite] })
  @Audited('oauth_client.updated', 'oauth_client')
  @Returns(OAuthClientDto, 'OAuth client updated.', { errors: [404, 422] })
  async update(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: UpdateOAuthClientDto): Promise<OAuthClientDto> {
    return presentOAuthClient(await this.clients.update(userIdOf(principal), id, body));
  }

  @Post(':id/rotate-secret')
  @ApiOperation({ summary: "Replace a confidential client's secret", description: 'The new secret is in this answer only; the old one stops working at once. 409 for a public client.' })
  @Authenticated({ scopes: [Scope.OAuthClientsWrite] })
  @Audited('oauth_client.secret_rotated', 'oauth_client')
  @Returns(NewOAuthClientDto, 'Client secret rotated.', { status: 200, errors: [404, 409] })
  async rotateSecret(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<NewOAuthClientDto> {
    const { client, secret } = await this.clients.rotateSecret(userIdOf(principal), id);
    return { ...presentOAuthClient(client), client_secret: secret };
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Delete one of my OAuth clients', description: 'Every authorization users gave it, and every token issued to it, stop working at once.' })
  @Authenticated({ scopes: [Scope.OAuthClientsDelete] })
  @Audited('oauth_client.deleted', 'oauth_client')
  @Returns(null, 'OAuth client deleted.', { status: 204, errors: [404] })
  async delete(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<void> {
    await this.clients.delete(userIdOf(principal), id);
  }
}
