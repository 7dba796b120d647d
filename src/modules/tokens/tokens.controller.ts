import { Body, Controller, Delete, Get, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiError, ListParams, ListQuery, ListSpec, Page, Returns } from '@tessera/common';
import { Audited } from '../audit/audited.decorator';
import { Authenticated } from '../auth/authenticated.decorator';
import { assertCanDelegate, mintedExpiry } from '../auth/delegation';
import { CurrentPrincipal, Principal, userIdOf } from '../auth/principal';
import { Scope } from '../auth/scopes';
import { WorkspacesService } from '../workspaces/workspaces.service';
import { CreateTokenDto } from './dto/token.dto';
import { NewTokenDto, presentToken, TokenDto } from './token.presenter';
import { TokensService } from './tokens.service';

const TOKEN_LIST: ListSpec = {
  sortable: ['created_at', 'updated_at', 'name', 'last_used_at'],
  defaultSort: '-created_at',
  fields: ['id', 'name', 'prefix', 'scopes', 'workspace_id', 'expires_at', 'last_used_at', 'created_at'],
  updatable: true,
};


@ApiTags('Personal access tokens')
@Controller('me/tokens')
export class TokensController {
  constructor(
    private readonly tokens: TokensService,
    private readonly workspaces: WorkspacesService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'List my personal access tokens' })
  @Authenticated({ scopes: [Scope.TokensRead] })
  @Returns(TokenDto, 'Tokens fetched.', { list: true })
  async list(@CurrentPrincipal() principal: Principal, @ListParams(TOKEN_LIST) list: ListQuery): Promise<Page<TokenDto>> {
    return (await this.tokens.list(userIdOf(principal), list)).map(presentToken);
  }

  @Post()
  @Authenticated({ scopes: [Scope.TokensWrite] })
  @Audited('token.created', 'token')
  @Returns(NewTokenDto, 'Token created.', { status: 201, errors: [404, 422] })
  @ApiOperation({ summary: 'Create a personal access token; the token is in this answer only', description: 'Send it as `X-Api-Key` or `Authorization: Bearer`. It may do its scopes ∩ your role in the workspace. A credential bound to one workspace (a pinned token, a login bound to a workspace) may only create tokens pinned to that workspace.' })
  async create(@CurrentPrincipal() principal: Principal, @Body() body: CreateTokenDto): Promise<NewTokenDto> {
    const userId = userIdOf(principal);
    assertCanDelegate(principal, body.scopes);
    let workspaceId: string | null = null;
    if (body.workspace_id) {
      const access = await this.workspaces.resolveAccess(body.workspace_id, userId);
      if (!access?.role) throw ApiError.notFound('Workspace');
      workspaceId = access.id;
    }
    // A credential bound to one workspace mints only tokens bound to that workspace.
    if (principal.boundWorkspaceId && workspaceId !== principal.boundWorkspaceId) {
      throw ApiError.forbidden('This credential is bound to one workspace: pin the new token to it (workspace_id).');
    }
    const expiresAt = mintedExpiry(principal, body.expires_at ? new Date(body.expires_at) : null);
    const { token, secret } = await this.tokens.create(userId, { ...body, expires_at: expiresAt?.toISOString(), workspaceId });
    return { ...presentToken(token), token: secret };
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Revoke one of my personal access tokens' })
  @Authenticated({ scopes: [Scope.TokensDelete] })
  @Audited('token.revoked', 'token')
  @Returns(null, 'Token revoked.', { status: 204, errors: [404] })
  async revoke(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<void> {
    await this.tokens.revoke(userIdOf(principal), id);
  }
}
