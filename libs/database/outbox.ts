import { Injectable } from '@nestjs/common';
import { newId } from '@tessera/common';
import { Database } from './database';
import { EventType, isEventType } from './event-types';

export interface DomainEvent {
  workspaceId: string;
  /** A registered type (event-types.ts): an unregistered one does not compile. */
  type: EventType;
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
    // The type union already refuses a literal; this refuses a value cast past it.
    if (!isEventType(event.type)) throw new Error(`outbox write of unregistered event type ${String(event.type)}`);
    if (!this.db.inTransaction) throw new Error(`outbox write of ${event.type} outside a transaction`);
    const id = newId('evt');
    await this.db.query(`INSERT INTO events (id, workspace_id, type, data) VALUES ($1, $2, $3, $4)`, [id, event.workspaceId, event.type, JSON.stringify(event.data)]);
    return id;
  }
}
