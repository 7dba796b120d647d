import { Body, Controller, Delete, Get, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ListParams, ListQuery, ListSpec, Page, Returns } from '@tessera/common';
import { Audited } from '../audit/audited.decorator';
import { Authenticated } from '../auth/authenticated.decorator';
import { assertCanDelegate, mintedExpiry } from '../auth/delegation';
import { CurrentPrincipal, CurrentWorkspace, Principal, WorkspaceAccess } from '../auth/principal';
import { Scope } from '../auth/scopes';
import { ApiKeyDto, NewApiKeyDto, presentApiKey, RotatedApiKeyDto } from './api-key.presenter';
import { ApiKeysService } from './api-keys.service';
import { CreateApiKeyDto, RotateApiKeyDto } from './dto/api-key.dto';

const KEY_LIST: ListSpec = {
  sortable: ['created_at', 'updated_at', 'name', 'last_used_at'],
  defaultSort: '-created_at',
  fields: ['id', 'name', 'prefix', 'environment', 'scopes', 'rate_limit_tier', 'status', 'expires_at', 'last_used_at', 'revoked_at', 'created_at', 'updated_at'],
  filters: { status: ['active', 'expired', 'revoked'], environment: ['live', 'test'] },
  searchable: true,
  updatable: true,
};

@ApiTags('API keys')
@Controller('api-keys')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Get()
  @ApiOperation({ summary: "List the workspace's API keys (never the keys themselves)" })
  @Authenticated({ scopes: [Scope.ApiKeysRead], workspace: 'header' })
  @Returns(ApiKeyDto, 'API keys fetched.', { list: true })
  async list(@CurrentWorkspace() ws: WorkspaceAccess, @ListParams(KEY_LIST) list: ListQuery): Promise<Page<ApiKeyDto>> {
    return (await this.keys.list(ws.id, list)).map(presentApiKey);
  }

  @Post()
  @ApiOperation({ summary: 'Create an API key; the key is in this answer only', description: 'Its scopes must be ones the caller holds.' })
  @Authenticated({ scopes: [Scope.ApiKeysWrite], workspace: 'header' })
  @Audited('api_key.created', 'api_key')
  @Returns(NewApiKeyDto, 'API key created.', { status: 201, errors: [422] })
  async create(@CurrentPrincipal() principal: Principal, @CurrentWorkspace() ws: WorkspaceAccess, @Body() body: CreateApiKeyDto): Promise<NewApiKeyDto> {
    assertCanDelegate(principal, body.scopes ?? ['read', 'write']);
    const expiresAt = mintedExpiry(principal, body.expires_at ? new Date(body.expires_at) : null);
    const { key, secret } = await this.keys.create(ws, principal.userId, { ...body, expires_at: expiresAt?.toISOString() });
    return { ...presentApiKey(key), key: secret };
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get an API key' })
  @Authenticated({ scopes: [Scope.ApiKeysRead], workspace: 'header' })
  @Returns(ApiKeyDto, 'API key fetched.', { errors: [404] })
  async get(@CurrentWorkspace() ws: WorkspaceAccess, @Param('id') id: string): Promise<ApiKeyDto> {
    return presentApiKey(await this.keys.get(ws.id, id));
  }

  @Post(':id/rotate')
  @ApiOperation({
    summary: 'Rotate: a new key (new id); the old one works until the grace period ends',
    description: 'The new key has the old one\'s scopes, so only a caller who holds all of them may rotate it (403 otherwise).',
  })
  @Authenticated({ scopes: [Scope.ApiKeysWrite], workspace: 'header' })
  @Audited('api_key.rotated', 'api_key')
  @Returns(RotatedApiKeyDto, 'API key rotated.', { status: 200, errors: [404, 409, 422] })
  async rotate(@CurrentPrincipal() principal: Principal, @CurrentWorkspace() ws: WorkspaceAccess, @Param('id') id: string, @Body() body: RotateApiKeyDto): Promise<RotatedApiKeyDto> {
    // Rotation hands out a secret with the old key's powers: the same rule as creating it.
    const old = await this.keys.get(ws.id, id);
    assertCanDelegate(principal, old.scopes);
    const expiresAt = mintedExpiry(principal, old.expiresAt);
    const { key, secret, graceEndsAt } = await this.keys.rotate(ws.id, id, principal.userId, body.grace_period_hours ?? 24, expiresAt);
    return { ...presentApiKey(key), key: secret, replaces: id, grace_period_ends_at: graceEndsAt.toISOString() };
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Revoke an API key (effective in every API process within seconds)' })
  @Authenticated({ scopes: [Scope.ApiKeysDelete], workspace: 'header' })
  @Audited('api_key.revoked', 'api_key')
  @Returns(null, 'API key revoked.', { status: 204, errors: [404] })
  async revoke(@CurrentWorkspace() ws: WorkspaceAccess, @Param('id') id: string): Promise<void> {
    await this.keys.revoke(ws.id, id);
  }
}
