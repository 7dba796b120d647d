import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger, OnModuleDestroy } from '@nestjs/common';
import { JobPayloads, Jobs, PixelEventRecord, Queues } from '@tessera/queue';
import { Job } from 'bullmq';
import { PixelEventsRepository } from './pixel-events.repository';

/** A PostgreSQL data exception (class 22: text or a value it cannot take), which no retry cures. */
function isDataException(err: unknown): boolean {
  const e = err as { code?: unknown; driverError?: { code?: unknown } } | null;
  const code = e?.driverError?.code ?? e?.code;
  return typeof code === 'string' && code.startsWith('22');
}

/**
 * Stores batches of accepted pixel events, one multi-row INSERT per job. A job completes only
 * after its INSERT committed; if the worker dies first, the job's lock lapses (10 s), a stalled
 * check (every 5 s) hands it to a live worker, and the INSERT runs again, storing only what is not
 * stored yet. A batch that stalls is not failed for it (maxStalledCount): a crash is no reason to
 * drop accepted events.
 */
@Processor(Queues.pixel, { concurrency: 4, lockDuration: 10_000, stalledInterval: 5_000, maxStalledCount: 100 })
export class PixelEventsProcessor extends WorkerHost implements OnModuleDestroy {
  private readonly logger = new Logger(PixelEventsProcessor.name);

  constructor(private readonly events: PixelEventsRepository) {
    super();
  }

  async process(job: Job<JobPayloads[typeof Jobs.storePixelEvents]>): Promise<{ stored: number; refused?: number }> {
    if (job.name !== Jobs.storePixelEvents) throw new Error(`no handler for job ${job.name}`);
    try {
      return { stored: await this.events.insertMany(job.data.events) };
    } catch (err) {
      if (!isDataException(err)) throw err;
      return this.oneByOne(job.id, job.data.events);
    }
  }

  /**
   * A batch PostgreSQL refused for its data: a job holds events of many workspaces, and one event
   * it cannot store would fail them all on every retry. Each is stored alone; the ones refused,
   * which no retry would store, are logged and left out. Anything else (a lost connection, a
   * timeout) fails the job, to be retried whole.
   */
  private async oneByOne(jobId: string | undefined, events: PixelEventRecord[]): Promise<{ stored: number; refused: number }> {
    let stored = 0;
    const refused: string[] = [];
    for (const event of events) {
      try {
        stored += await this.events.insertMany([event]);
      } catch (err) {
        if (!isDataException(err)) throw err;
        refused.push(event.id);
      }
    }
    if (refused.length) this.logger.error({ jobId, refused }, 'pixel events PostgreSQL refuses for their data were not stored');
    return { stored, refused: refused.length };
  }

  /** SIGTERM: stop taking batches and finish the ones being written while PostgreSQL is still open. */
  async onModuleDestroy(): Promise<void> {
    let worker;
    try {
      worker = this.worker;
    } catch {
      return;
    }
    await worker.close();
  }
}
