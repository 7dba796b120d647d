import type { PixelEventRecord } from '@tessera/queue';
import type { Queue } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { ApiError } from '@tessera/common';
import { AcceptedEvent, MAX_BATCH, PixelIngest } from './pixel-ingest';

/** A queue whose adds resolve or fail when the test says so. */
function queueDouble() {
  const adds: Array<{ events: PixelEventRecord[]; resolve(): void; reject(err: Error): void }> = [];
  const queue = {
    on: () => queue,
    add: (_name: string, data: { events: PixelEventRecord[] }) => new Promise<void>((resolve, reject) => adds.push({ events: data.events, resolve, reject })),
  };
  return { queue: queue as unknown as Queue, adds };
}

const record = (n: number): AcceptedEvent => ({
  workspaceId: 'ws_1', event: 'pageview', url: `https://example.com/${n}`, referrer: null, referrerHost: null, userAgent: null, sessionId: null, properties: null, occurredAt: new Date(0).toISOString(),
});
const turn = () => new Promise((r) => setImmediate(r));

describe(PixelIngest.name, () => {
  it('should put the events of one I/O turn in one job, and answer none before that job is in the queue', async () => {
    const { queue, adds } = queueDouble();
    const sut = new PixelIngest(queue);
    let answered = 0;
    const accepted = [1, 2, 3].map((n) => sut.accept(record(n)).then(() => answered++));
    await turn();
    expect(adds.map((a) => a.events.map((e) => e.url))).toEqual([['https://example.com/1', 'https://example.com/2', 'https://example.com/3']]);
    // Ids: the job's id and the event's place in it.
    const [jobId] = adds[0].events[0].id.split('.');
    expect(jobId).toMatch(/^px_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(adds[0].events.map((e) => e.id)).toEqual([`${jobId}.0`, `${jobId}.1`, `${jobId}.2`]);
    await turn();
    expect(answered).toBe(0);
    adds[0].resolve();
    await Promise.all(accepted);
    expect(answered).toBe(3);
  });

  it('should send the next job without waiting for the one on its way', async () => {
    const { queue, adds } = queueDouble();
    const sut = new PixelIngest(queue);
    const first = sut.accept(record(1));
    await turn();
    const second = sut.accept(record(2));
    await turn();
    expect(adds).toHaveLength(2);
    adds[1].resolve();
    await second;
    adds[0].resolve();
    await first;
  });

  it('should refuse with 503 every event of a job the queue did not take, and only those', async () => {
    const { queue, adds } = queueDouble();
    const sut = new PixelIngest(queue);
    const lost = [sut.accept(record(1)), sut.accept(record(2))].map((p) => p.catch((e: unknown) => e));
    await turn();
    const kept = sut.accept(record(3));
    await turn();
    adds[0].reject(new Error('Connection is closed.'));
    adds[1].resolve();
    for (const err of await Promise.all(lost)) {
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).getStatus()).toBe(503);
      expect((err as ApiError).headers['Retry-After']).toBe('5');
    }
    await expect(kept).resolves.toBeUndefined();
  });

  it(`should split a burst into jobs of at most ${MAX_BATCH} events`, async () => {
    const { queue, adds } = queueDouble();
    const sut = new PixelIngest(queue);
    const all = Array.from({ length: MAX_BATCH * 2 + 1 }, (_, n) => sut.accept(record(n)));
    for (let i = 0; i < 3; i++) await turn();
    expect(adds.map((a) => a.events.length)).toEqual([MAX_BATCH, MAX_BATCH, 1]);
    for (const a of adds) a.resolve();
    await Promise.all(all);
  });
});
