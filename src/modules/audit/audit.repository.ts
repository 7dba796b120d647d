import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ListQuery, Page } from '@tessera/common';
import { paginate } from '@tessera/database';
import { AuditLogEntity } from './audit-log.entity';

const COLUMNS = { id: 'id', created_at: 'createdAt', action: 'action', actor_id: 'actorId' };

@Injectable()
export class AuditRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  async insert(row: AuditLogEntity): Promise<void> {
    await this.ds.getRepository(AuditLogEntity).insert(row);
  }

  list(workspaceId: string, list: ListQuery): Promise<Page<AuditLogEntity>> {
    const qb = this.ds.getRepository(AuditLogEntity).createQueryBuilder('a').where('a.workspace_id = :workspaceId', { workspaceId });
    return paginate(qb, list, COLUMNS);
  }
}
