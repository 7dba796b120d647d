import { Injectable } from '@nestjs/common';
import { ListQuery, Page } from '@tessera/common';
import { Database, paginate } from '@tessera/database';
import { AuditLogEntity } from './audit-log.entity';

const COLUMNS = { id: 'id', created_at: 'createdAt', action: 'action', actor_id: 'actorId' };

@Injectable()
export class AuditRepository {
  constructor(private readonly db: Database) {}

  async insert(row: AuditLogEntity): Promise<void> {
    await this.db.repository(AuditLogEntity).insert(row);
  }

  list(workspaceId: string, list: ListQuery): Promise<Page<AuditLogEntity>> {
    const qb = this.db.repository(AuditLogEntity).createQueryBuilder('a').where('a.workspace_id = :workspaceId', { workspaceId });
    return paginate(qb, list, COLUMNS);
  }
}
