import { Injectable } from '@nestjs/common';
import { ListQuery, newId, Page } from '@tessera/common';
import { Database, paginate } from '@tessera/database';
import type { Tier } from '../../auth/principal';
import { InboundSourceEntity } from './inbound-source.entity';

export type InboundSourcePatch = Partial<Pick<InboundSourceEntity, 'name' | 'description' | 'isActive'>>;

/** A source as the receiving route needs it: with its workspace's tier, whatever the workspace. */
export interface ReceivingSource {
  source: InboundSourceEntity;
  tier: Tier;
}

/** The message a callback became: new, or the one an earlier callback with the same id made. */
export interface StoredMessage {
  id: string;
  eventId: string | null;
  duplicate: boolean;
}

const COLUMNS = { id: 'id', name: 'name', created_at: 'createdAt', updated_at: 'updatedAt' };

/** Inbound sources (always within one workspace) and the messages they received. */
@Injectable()
export class InboundSourcesRepository {
  constructor(private readonly db: Database) {}

  private repo() {
    return this.db.repository(InboundSourceEntity);
  }

  transaction<T>(work: () => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  find(workspaceId: string, id: string): Promise<InboundSourceEntity | null> {
    return this.repo().findOneBy({ workspaceId, id });
  }

  findByName(workspaceId: string, name: string): Promise<InboundSourceEntity | null> {
    return this.repo().findOneBy({ workspaceId, name });
  }

  list(workspaceId: string, list: ListQuery): Promise<Page<InboundSourceEntity>> {
    const qb = this.repo().createQueryBuilder('s').where('s.workspace_id = :workspaceId', { workspaceId });
    if (list.filters.is_active) qb.andWhere('s.is_active = :isActive', { isActive: list.filters.is_active === 'true' });
    if (list.filters.scheme) qb.andWhere('s.scheme = :scheme', { scheme: list.filters.scheme });
    return paginate(qb, list, COLUMNS);
  }

  count(workspaceId: string): Promise<number> {
    return this.repo().countBy({ workspaceId });
  }

  /** Holds the workspace row until the transaction ends: concurrent creates count one after another. */
  async lockWorkspace(workspaceId: string): Promise<void> {
    await this.db.query(`SELECT 1 FROM workspaces WHERE id = $1 FOR UPDATE`, [workspaceId]);
  }

  async insert(source: InboundSourceEntity): Promise<void> {
    await this.repo().insert(source);
  }

  async update(workspaceId: string, id: string, patch: InboundSourcePatch): Promise<void> {
    await this.repo().update({ workspaceId, id }, { ...patch, updatedAt: new Date() });
  }

  async delete(workspaceId: string, id: string): Promise<boolean> {
    return ((await this.repo().delete({ workspaceId, id })).affected ?? 0) === 1;
  }

  /** The source a provider posts to, by id alone: the signature, not a workspace, is the credential. */
  async findForReceiving(id: string): Promise<ReceivingSource | null> {
    const rows = await this.db.query<Array<{ tier: Tier } & Record<string, unknown>>>(
      `SELECT s.id, s.workspace_id, s.name, s.scheme, s.secret_sealed, s.is_active, w.tier
         FROM inbound_sources s JOIN workspaces w ON w.id = s.workspace_id WHERE s.id = $1`,
      [id],
    );
    const row = rows[0];
    if (!row) return null;
    const source = Object.assign(new InboundSourceEntity(), {
      id: row.id,
      workspaceId: row.workspace_id,
      name: row.name,
      scheme: row.scheme,
      secretSealed: row.secret_sealed,
      isActive: row.is_active,
    });
    return { source, tier: row.tier };
  }

  /**
   * Records a provider's message id for a source, in the open transaction. The unique (source,
   * message id) index decides: a second callback with the same id, even one racing the first,
   * waits for it and gets its row back with `duplicate: true`. Null when the source was deleted
   * meanwhile.
   */
  async claimMessage(source: InboundSourceEntity, messageId: string): Promise<StoredMessage | null> {
    const id = newId('inb');
    const inserted = await this.db.query<Array<{ id: string }>>(
      `INSERT INTO inbound_messages (id, source_id, workspace_id, message_id) VALUES ($1, $2, $3, $4)
       ON CONFLICT (source_id, message_id) DO NOTHING RETURNING id`,
      [id, source.id, source.workspaceId, messageId],
    );
    if (inserted.length) return { id, eventId: null, duplicate: false };
    const [first] = await this.db.query<Array<{ id: string; event_id: string | null }>>(
      `SELECT id, event_id FROM inbound_messages WHERE source_id = $1 AND message_id = $2`,
      [source.id, messageId],
    );
    return first ? { id: first.id, eventId: first.event_id, duplicate: true } : null;
  }

  async setMessageEvent(messageId: string, eventId: string): Promise<void> {
    await this.db.query(`UPDATE inbound_messages SET event_id = $2 WHERE id = $1`, [messageId, eventId]);
  }
}
