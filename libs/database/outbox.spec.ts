import { describe, expect, it } from 'vitest';
import { Database } from './database';
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
});
