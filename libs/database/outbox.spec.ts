import { describe, expect, it } from 'vitest';
import { Database } from './database';
import { inboundEventType } from './event-types';
import { Outbox } from './outbox';

/** A Database in an open transaction that records its queries. */
function fakeDatabase(): { db: Database; queries: unknown[][] } {
  const queries: unknown[][] = [];
  const db = { inTransaction: true, query: async (sql: string, params: unknown[]) => queries.push([sql, params]) } as unknown as Database;
  return { db, queries };
}

describe(Outbox.name, () => {
  it('should write a registered type', async () => {
    const { db, queries } = fakeDatabase();
    const sut = new Outbox(db);
    expect(await sut.write({ workspaceId: 'ws_1', type: 'post.created', data: {} })).toMatch(/^evt_/);
    expect(queries).toHaveLength(1);
  });

  it('should refuse an unregistered type, at compile time and at run time', async () => {
    const { db, queries } = fakeDatabase();
    const sut = new Outbox(db);
    // @ts-expect-error -- the type union is the registry: tsc fails here if this ever compiles.
    await expect(sut.write({ workspaceId: 'ws_1', type: 'post.exploded', data: {} })).rejects.toThrow(/unregistered event type post.exploded/);
    expect(queries).toEqual([]);
  });

  it('should write an inbound type of a valid source name (the one pattern in the registry)', async () => {
    const { db, queries } = fakeDatabase();
    const sut = new Outbox(db);
    expect(await sut.write({ workspaceId: 'ws_1', type: inboundEventType('stripe'), data: {} })).toMatch(/^evt_/);
    expect(await sut.write({ workspaceId: 'ws_1', type: 'inbound.gh-app_2.received', data: {} })).toMatch(/^evt_/);
    expect(queries.map((q) => (q[1] as unknown[])[2])).toEqual(['inbound.stripe.received', 'inbound.gh-app_2.received']);
  });

  it('should refuse an inbound type off the pattern, at compile time and at run time', async () => {
    const { db, queries } = fakeDatabase();
    const sut = new Outbox(db);
    // @ts-expect-error -- not inbound.<name>.received: tsc fails here if this ever compiles.
    await expect(sut.write({ workspaceId: 'ws_1', type: 'inbound.stripe', data: {} })).rejects.toThrow(/unregistered event type/);
    // The template type lets these compile; the run-time check holds the name to the slug rule.
    for (const type of ['inbound.Stripe.received', 'inbound.a.b.received', 'inbound..received', `inbound.${'a'.repeat(41)}.received`] as const) {
      await expect(sut.write({ workspaceId: 'ws_1', type, data: {} })).rejects.toThrow(/unregistered event type/);
    }
    expect(queries).toEqual([]);
    expect(() => inboundEventType('Bad Name')).toThrow(/invalid inbound source name/);
  });
});
