import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { ListParams, ListQuery, ListSpec, Page, pageOfArray, Returns } from '@tessera/common';
import { Public } from './authenticated.decorator';
import { ALL_SCOPES, describeScope } from './scopes';

export class ScopeDto {
  @ApiProperty({ example: 'posts:read' }) scope: string;
  @ApiProperty({ example: 'posts' }) resource: string;
  @ApiProperty({ example: 'read', enum: ['read', 'write', 'delete'] }) action: string;
  @ApiProperty({ example: 'Read posts.' }) description: string;
}

const SCOPE_LIST: ListSpec = {
  sortable: ['scope', 'resource', 'action'],
  defaultSort: 'scope',
  fields: ['scope', 'resource', 'action', 'description'],
  filters: { resource: null, action: ['read', 'write', 'delete'] },
};

const CATALOG = ALL_SCOPES.map((scope) => {
  const [resource, action] = scope.split(':');
  return { id: scope, scope, resource, action, description: describeScope(scope) };
});

@ApiTags('Scopes')
@Controller('scopes')
export class ScopesController {
  @Get()
  @Public()
  @ApiOperation({ summary: 'The scope catalog', description: 'Wildcards: `*` (everything), `resource:*`, and `read` / `write` for every `*:read` / `*:write`.' })
  @Returns(ScopeDto, 'Scopes fetched.', { list: true })
  list(@ListParams(SCOPE_LIST) list: ListQuery): Page<ScopeDto> {
    const matching = CATALOG.filter((s) => Object.entries(list.filters).every(([k, v]) => s[k as 'resource' | 'action'] === v));
    return pageOfArray(matching, list, (s, field) => s[field as keyof ScopeDto]).map(({ id: _id, ...dto }) => dto);
  }
}
