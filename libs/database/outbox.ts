import type { EntityManager } from 'typeorm';
import { newId } from '@tessera/common';

export interface DomainEvent {
  workspaceId: string;
  /** e.g. post.created */
  type: string;
  data: Record<string, unknown>;
}

/**
 * Writes a domain event to the outbox in the caller's transaction: the event exists if and only
 * if the change that caused it was committed. Returns the event id (evt_…).
 */
export async function writeEvent(tx: EntityManager, event: DomainEvent): Promise<string> {
  const id = newId('evt');
  await tx.query(`INSERT INTO events (id, workspace_id, type, data) VALUES ($1, $2, $3, $4)`, [id, event.workspaceId, event.type, JSON.stringify(event.data)]);
  return id;
}
