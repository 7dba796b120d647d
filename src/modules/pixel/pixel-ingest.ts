import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import { ApiError, ErrorCode, newId } from '@tessera/common';
import { Jobs, JobPayloads, logQueueErrors, PixelEventRecord, Queues } from '@tessera/queue';
import { JobsOptions, Queue } from 'bullmq';

/** The most events in one job. */
export const MAX_BATCH = 500;
/** Jobs on their way to Redis at once. */
const MAX_IN_FLIGHT = 4;
/** How long a request waits for Redis to take its batch before it is answered 503. */
const ENQUEUE_TIMEOUT_MS = 5_000;
const RETRY_AFTER_SECONDS = 5;

/**
 * A batch is retried for hours (2^14 s before the last of 15 attempts) while PostgreSQL is away,
 * and kept in Redis if it still fails (removeOnFail: false; retry it from /admin/queues): the
 * events were accepted, so nothing drops them. Stored batches leave Redis at once.
 */
export const PIXEL_JOB_OPTIONS: JobsOptions = { attempts: 15, backoff: { type: 'exponential', delay: 1_000 }, removeOnComplete: true, removeOnFail: false };

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([work, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('enqueue timed out')), ms)))]).finally(() => clearTimeout(timer));
}

/** An accepted event before it has a place in a job (and from it, its id). */
export type AcceptedEvent = Omit<PixelEventRecord, 'id'>;

interface Waiting {
  record: AcceptedEvent;
  done(err?: unknown): void;
}

/**
 * The API side of pixel ingestion: accepted events go to the pixel queue, many requests' events
 * in one job (one Redis round trip for all of them). Each request waits until Redis holds the job
 * that carries its event, and only then is answered: an event answered {tracked: true} is in
 * Redis, never only in this process's memory, so a crash here loses no accepted event.
 *
 * Batching costs no idle wait: an event waits for the end of the current I/O turn only (the other
 * requests parsed in that turn join it), then its job leaves, even while earlier jobs are still on
 * their way (up to MAX_IN_FLIGHT; past that, events gather for the next job). Under light load a job
 * carries one event; under heavy load, many.
 */
@Injectable()
export class PixelIngest {
  private readonly waiting: Waiting[] = [];
  private scheduled = false;
  private inFlight = 0;

  constructor(@InjectQueue(Queues.pixel) private readonly queue: Queue) {
    logQueueErrors(queue);
  }

  /** Resolves once the event is in Redis; 503 SERVICE_UNAVAILABLE when Redis does not take it in time. */
  accept(record: AcceptedEvent): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ record, done: (err) => (err === undefined ? resolve() : reject(err)) });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= MAX_IN_FLIGHT) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.send();
    });
  }

  private async send(): Promise<void> {
    const batch = this.waiting.splice(0, MAX_BATCH);
    if (!batch.length) return;
    this.inFlight++;
    // More than one job's worth waiting: the next leaves now too.
    if (this.waiting.length) this.schedule();
    try {
      // Each event's id is its job's id and its place in the job: fixed before the job exists, so a
      // job written twice stores nothing twice, and one id made per job rather than per event.
      const jobId = newId('px');
      const data: JobPayloads[typeof Jobs.storePixelEvents] = { events: batch.map((w, i) => ({ id: `${jobId}.${i}`, ...w.record })) };
      await withTimeout(this.queue.add(Jobs.storePixelEvents, data, { ...PIXEL_JOB_OPTIONS, jobId }), ENQUEUE_TIMEOUT_MS);
      for (const w of batch) w.done();
    } catch {
      const unavailable = new ApiError(
        503,
        ErrorCode.SERVICE_UNAVAILABLE,
        'The event queue is unavailable: the event was not accepted. Retry shortly.',
        { retry_after: RETRY_AFTER_SECONDS },
        { 'Retry-After': String(RETRY_AFTER_SECONDS) },
      );
      for (const w of batch) w.done(unavailable);
    } finally {
      this.inFlight--;
      if (this.waiting.length) this.schedule();
    }
  }
}
