import { describe, expect, it } from 'vitest';
import { MicroBatcher } from './micro-batcher';

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe(MicroBatcher.name, () => {
  it('should run the items submitted in one turn as one batch, each getting its own result', async () => {
    const batches: number[][] = [];
    const sut = new MicroBatcher(async (items: number[]) => (batches.push(items), items.map((n) => n * 10)), { maxBatch: 100, maxInFlight: 1 });
    const out = await Promise.all([1, 2, 3].map((n) => sut.submit(n)));
    expect(out).toEqual([10, 20, 30]);
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it('should gather the items submitted while a batch runs into the next batch', async () => {
    const gates = [deferred<void>(), deferred<void>()];
    const batches: number[][] = [];
    const sut = new MicroBatcher(async (items: number[]) => {
      batches.push(items);
      await gates[batches.length - 1].promise;
      return items;
    }, { maxBatch: 100, maxInFlight: 1 });
    const first = sut.submit(1);
    await new Promise((r) => setImmediate(r));
    const later = [2, 3, 4].map((n) => sut.submit(n));
    await new Promise((r) => setImmediate(r));
    expect(batches).toEqual([[1]]); // the others wait for the batch in flight
    gates[0].resolve();
    await first;
    gates[1].resolve();
    expect(await Promise.all(later)).toEqual([2, 3, 4]);
    expect(batches).toEqual([[1], [2, 3, 4]]);
  });

  it('should split at maxBatch and run at most maxInFlight batches at once', async () => {
    let running = 0;
    let most = 0;
    const sizes: number[] = [];
    const sut = new MicroBatcher(async (items: number[]) => {
      running++;
      most = Math.max(most, running);
      sizes.push(items.length);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      return items;
    }, { maxBatch: 4, maxInFlight: 2 });
    const out = await Promise.all(Array.from({ length: 10 }, (_, i) => sut.submit(i)));
    expect(out).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(sizes).toEqual([4, 4, 2]);
    expect(most).toBe(2);
  });

  it('should reject every item of a failed batch and still run the next one', async () => {
    let calls = 0;
    const sut = new MicroBatcher(async (items: string[]) => {
      calls++;
      if (calls === 1) throw new Error('connection lost');
      return items.map((s) => s.toUpperCase());
    }, { maxBatch: 10, maxInFlight: 1 });
    const failed = await Promise.allSettled([sut.submit('a'), sut.submit('b')]);
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(await sut.submit('c')).toBe('C');
  });

  it('should run a failed batch again split by isolateBy, rejecting only the group that fails again', async () => {
    const batches: string[][] = [];
    const sut = new MicroBatcher(async (items: string[]) => {
      batches.push(items);
      if (items.some((s) => s.startsWith('locked'))) throw new Error('lock timeout');
      return items.map((s) => s.toUpperCase());
    }, { maxBatch: 10, maxInFlight: 1, isolateBy: (s) => s.split(':')[0] });
    const out = await Promise.allSettled(['a:1', 'locked:1', 'b:1', 'a:2', 'locked:2', 'a:2'].map((s) => sut.submit(s)));
    expect(out.map((r) => (r.status === 'fulfilled' ? r.value : 'rejected'))).toEqual(['A:1', 'rejected', 'B:1', 'A:2', 'rejected', 'A:2']);
    expect(batches).toEqual([['a:1', 'locked:1', 'b:1', 'a:2', 'locked:2', 'a:2'], ['a:1', 'a:2', 'a:2'], ['locked:1', 'locked:2'], ['b:1']]);
  });

  it('should not run a failed batch again when isolateBy puts it all in one group', async () => {
    let calls = 0;
    const sut = new MicroBatcher(async (): Promise<string[]> => {
      calls++;
      throw new Error('statement timeout');
    }, { maxBatch: 10, maxInFlight: 1, isolateBy: () => 'one endpoint' });
    const out = await Promise.allSettled(['a', 'b'].map((s) => sut.submit(s)));
    expect(out.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(calls).toBe(1);
  });

  it('should reject a batch whose answer does not have one result per item', async () => {
    const sut = new MicroBatcher(async () => [1], { maxBatch: 10, maxInFlight: 1 });
    await expect(Promise.all([sut.submit(1), sut.submit(2)])).rejects.toThrow(/batch of 2 answered with 1/);
  });
});
