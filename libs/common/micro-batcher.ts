/**
 * Coalesces many concurrent single-item calls into few batch calls: items submitted while a batch
 * is being run wait and go together in the next one. Under light load an item waits only for the
 * end of the current event-loop turn; under heavy load batches grow by themselves, up to
 * `maxBatch`, with at most `maxInFlight` batches running at once. One round trip per batch
 * instead of one per item is what it is for (e.g. a database statement per few dozen deliveries).
 *
 * `run` answers with one result per item, in the items' order. If it throws, every item of that
 * batch is rejected with the error; the next batch is unaffected.
 */
export class MicroBatcher<I, O> {
  private queue: Array<{ item: I; resolve: (o: O) => void; reject: (err: unknown) => void }> = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(
    private readonly run: (items: I[]) => Promise<O[]>,
    private readonly options: { maxBatch: number; maxInFlight: number },
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
    let results: Promise<O[]>;
    try {
    results = this.run(batch.map((b) => b.item));
    } catch (err) {
      results = Promise.reject(err);
    }
    results
      .then(
        (out) => {
          if (out.length !== batch.length) throw new Error(`batch of ${batch.length} answered with ${out.length} results`);
          batch.forEach((b, i) => b.resolve(out[i]));
        },
      )
      .catch((err: unknown) => batch.forEach((b) => b.reject(err)))
      .finally(() => {
        this.inFlight--;
        this.schedule();
      });
  }
}
