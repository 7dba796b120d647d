import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { ListParams, ListQuery, ListSpec, Page, Returns } from '@tessera/common';
import { Authenticated } from '../auth/authenticated.decorator';
import { CurrentWorkspace, WorkspaceAccess } from '../auth/principal';
import { Scope } from '../auth/scopes';
import { AuditLogEntity } from './audit-log.entity';
import { AuditService } from './audit.service';

export class AuditLogDto {
  @ApiProperty({ example: 'aud_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8' }) id: string;
  @ApiProperty({ enum: ['user', 'api_key', 'pat', 'anonymous', 'system'] }) actor_type: string;
  @ApiProperty({ type: 'string', nullable: true }) actor_id: string | null;
  @ApiProperty({ example: 'api_key.created' }) action: string;
  @ApiProperty({ type: 'string', nullable: true }) target_type: string | null;
  @ApiProperty({ type: 'string', nullable: true }) target_id: string | null;
  @ApiProperty({ type: 'string', nullable: true }) ip: string | null;
  @ApiProperty({ type: 'string', nullable: true }) user_agent: string | null;
  @ApiProperty({ type: 'string', nullable: true }) request_id: string | null;
  @ApiProperty({ format: 'date-time' }) created_at: string;
}

const AUDIT_LIST: ListSpec = {
  sortable: ['created_at'],
  defaultSort: '-created_at',
  fields: ['id', 'actor_type', 'actor_id', 'action', 'target_type', 'target_id', 'ip', 'user_agent', 'request_id', 'created_at'],
  filters: { action: null, actor_id: null },
};

function present(a: AuditLogEntity): AuditLogDto {
  return {
    id: a.id,
    actor_type: a.actorType,
    actor_id: a.actorId,
    action: a.action,
    target_type: a.targetType,
    target_id: a.targetId,
    ip: a.ip,
    user_agent: a.userAgent,
    request_id: a.requestId,
    created_at: a.createdAt.toISOString(),
  };
}

@ApiTags('Audit log')
@Controller('audit-logs')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @ApiOperation({ summary: "The current workspace's audit log", description: 'Filter with action= and actor_id=.' })
  @Authenticated({ scopes: [Scope.AuditRead], workspace: 'header' })
  @Returns(AuditLogDto, 'Audit log fetched.', { list: true })
  async list(@CurrentWorkspace() ws: WorkspaceAccess, @ListParams(AUDIT_LIST) list: ListQuery): Promise<Page<AuditLogDto>> {
    return (await this.audit.list(ws.id, list)).map(present);
  }
}
