import { Injectable } from '@nestjs/common';
import { newId } from '@tessera/common';
import { Database } from './database';

export interface DomainEvent {
  workspaceId: string;
  /** e.g. post.created */
  type: string;
  data: Record<string, unknown>;
}

/** The events outbox, written in the transaction of the change that caused each event. */
@Injectable()
export class Outbox {
  constructor(private readonly db: Database) {}

  /**
   * Writes a domain event in the open transaction: the event exists if and only if the change
   * that caused it was committed. Returns the event id (evt_…).
   */
  async write(event: DomainEvent): Promise<string> {
    if (!this.db.inTransaction) throw new Error(`outbox write of ${event.type} outside a transaction`);
    const id = newId('evt');
    await this.db.query(`INSERT INTO events (id, workspace_id, type, data) VALUES ($1, $2, $3, $4)`, [id, event.workspaceId, event.type, JSON.stringify(event.data)]);
    return id;
  }
}
