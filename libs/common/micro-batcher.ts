/**
 * Coalesces many concurrent single-item calls into few batch calls: items submitted while a batch
 * is being run wait and go together in the next one. Under light load an item waits only for the
 * end of the current event-loop turn; under heavy load batches grow by themselves, up to
 * `maxBatch`, with at most `maxInFlight` batches running at once. One round trip per batch
 * instead of one per item is what it is for (e.g. a database statement per few dozen deliveries).
 *
 * `run` answers with one result per item, in the items' order. If it throws, every item of that
 * batch is rejected with the error; the next batch is unaffected. With `isolateBy`, a failed batch
 * is run again split by that key (each group its own `run`, all at once), so only the group at
 * fault fails: one endpoint's locked row must not fail the writes of every endpoint batched with it.
 */
export class MicroBatcher<I, O> {
  private queue: Array<{ item: I; resolve: (o: O) => void; reject: (err: unknown) => void }> = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(
    private readonly run: (items: I[]) => Promise<O[]>,
    private readonly options: { maxBatch: number; maxInFlight: number; isolateBy?: (item: I) => unknown },
  ) {
    if (options.maxBatch < 1 || options.maxInFlight < 1) throw new Error('MicroBatcher needs maxBatch and maxInFlight of at least 1');
  }

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Items waiting for a batch (not counting those in a running batch). */
  get pending(): number {
    return this.queue.length;
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.options.maxInFlight || this.queue.length === 0) return;
    this.scheduled = true;
    // setImmediate, not a microtask: every job whose I/O completed in this turn gets to submit first.
    setImmediate(() => {
      this.scheduled = false;
      while (this.inFlight < this.options.maxInFlight && this.queue.length > 0) this.flush(this.queue.splice(0, this.options.maxBatch));
    });
  }

  private flush(batch: typeof this.queue): void {
    this.inFlight++;
    this.settle(batch)
      .catch(async (err: unknown) => {
        const groups = this.options.isolateBy ? this.groupsOf(batch, this.options.isolateBy) : [];
        if (groups.length < 2) throw err;
        await Promise.all(groups.map((group) => this.settle(group).catch((groupErr: unknown) => group.forEach((b) => b.reject(groupErr)))));
      })
      .catch((err: unknown) => batch.forEach((b) => b.reject(err)))
      .finally(() => {
        this.inFlight--;
        this.schedule();
      });
  }

  /** Runs `batch` and resolves each of its items; rejects (resolving none) if the run fails. */
  private async settle(batch: typeof this.queue): Promise<void> {
    const out = await this.run(batch.map((b) => b.item));
    if (out.length !== batch.length) throw new Error(`batch of ${batch.length} answered with ${out.length} results`);
    batch.forEach((b, i) => b.resolve(out[i]));
  }

  private groupsOf(batch: typeof this.queue, keyOf: (item: I) => unknown): Array<typeof this.queue> {
    const groups = new Map<unknown, typeof this.queue>();
    for (const b of batch) groups.set(keyOf(b.item), [...(groups.get(keyOf(b.item)) ?? []), b]);
    return [...groups.values()];
  }
}
