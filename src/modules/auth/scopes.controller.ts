import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Returns } from '@tessera/common';
import { Public } from './authenticated.decorator';
import { ALL_SCOPES, describeScope } from './scopes';

export class ScopeDto {
  @ApiProperty({ example: 'posts:read' }) scope: string;
  @ApiProperty({ example: 'posts' }) resource: string;
  @ApiProperty({ example: 'read', enum: ['read', 'write', 'delete'] }) action: string;
  @ApiProperty({ example: 'Read posts.' }) description: string;
}

@ApiTags('Scopes')
@Controller('scopes')
export class ScopesController {
  @Get()
  @Public()
  @ApiOperation({ summary: 'The scope catalog', description: 'Wildcards: `*` (everything), `resource:*`, and `read` / `write` for every `*:read` / `*:write`.' })
  @Returns(ScopeDto, 'Scopes fetched.', { array: true })
  list(): ScopeDto[] {
    return ALL_SCOPES.map((scope) => {
      const [resource, action] = scope.split(':');
      return { scope, resource, action, description: describeScope(scope) };
    });
  }
}
