import { Injectable, Logger } from '@nestjs/common';
import { ListQuery, newId, Page } from '@tessera/common';
import { AuditLogEntity } from './audit-log.entity';
import { AuditRepository } from './audit.repository';

export interface AuditEvent {
  workspaceId: string | null;
  /** system: the worker acting on its own (webhook endpoints disabled, deliveries given up). */
  /** oauth: a third-party app acting with a user's OAuth access token (actorId: the user). */
  actorType: 'user' | 'api_key' | 'pat' | 'oauth' | 'anonymous' | 'system';
  actorId: string | null;
  action: string;
  targetType?: string | null;
  targetId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  requestId?: string | null;
  metadata?: Record<string, string | number | boolean | null>;
}

@Injectable()
export class AuditService {
  private readonly logger = new Logger(AuditService.name);

  constructor(private readonly repo: AuditRepository) {}

  /** Writes the row without holding up the answer; a failure is logged, never surfaced. */
  record(event: AuditEvent): void {
    const row = Object.assign(new AuditLogEntity(), {
      id: newId('aud'),
      workspaceId: event.workspaceId,
      actorType: event.actorType,
      actorId: event.actorId,
      action: event.action,
      targetType: event.targetType ?? null,
      targetId: event.targetId ?? null,
      ip: event.ip ?? null,
      userAgent: event.userAgent?.slice(0, 512) ?? null,
      requestId: event.requestId ?? null,
      metadata: event.metadata ?? {},
      createdAt: new Date(),
    });
    this.repo.insert(row).catch((err: unknown) => this.logger.error({ err, action: event.action }, 'audit row not written'));
  }

  list(workspaceId: string, list: ListQuery): Promise<Page<AuditLogEntity>> {
    return this.repo.list(workspaceId, list);
  }
}
