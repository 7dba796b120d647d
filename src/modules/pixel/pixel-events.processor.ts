import { Processor, WorkerHost } from '@nestjs/bullmq';
import { OnModuleDestroy } from '@nestjs/common';
import { JobPayloads, Jobs, Queues } from '@tessera/queue';
import { Job } from 'bullmq';
import { PixelEventsRepository } from './pixel-events.repository';

/**
 * Stores batches of accepted pixel events, one multi-row INSERT per job. A job completes only
 * after its INSERT committed; if the worker dies first, the job's lock lapses (10 s), a stalled
 * check (every 5 s) hands it to a live worker, and the INSERT runs again, storing only what is not
 * stored yet. A batch that stalls is not failed for it (maxStalledCount): a crash is no reason to
 * drop accepted events.
 */
@Processor(Queues.pixel, { concurrency: 4, lockDuration: 10_000, stalledInterval: 5_000, maxStalledCount: 100 })
export class PixelEventsProcessor extends WorkerHost implements OnModuleDestroy {
  constructor(private readonly events: PixelEventsRepository) {
    super();
  }

  async process(job: Job<JobPayloads[typeof Jobs.storePixelEvents]>): Promise<{ stored: number }> {
    if (job.name !== Jobs.storePixelEvents) throw new Error(`no handler for job ${job.name}`);
    return { stored: await this.events.insertMany(job.data.events) };
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
