import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import { JobPayloads, Jobs, logQueueErrors, Queues } from '@tessera/queue';
import { Queue } from 'bullmq';

/**
 * The webhooks queue as producers see it (the relay, manual retry, replay). One job per delivery,
 * its jobId the delivery id, so enqueueing the same delivery twice while its job is waiting,
 * delayed or running is a no-op. The database is the truth about a delivery (status, attempts,
 * next_retry_at); a job only says "look at this delivery now". Retries and fairness waits move
 * the same job back to delayed; a job completes when its delivery succeeded or failed for good.
 */
/** Job lookups in flight at once while enqueueing many deliveries. */
const LOOKUP_CHUNK = 100;

@Injectable()
export class DeliveryQueue {
  constructor(@InjectQueue(Queues.webhooks) private readonly queue: Queue) {
    logQueueErrors(queue);
  }

  /**
   * Queues deliveries the relay has just created: no job can exist for a new delivery id, so this
   * is one round trip for the whole batch (jobId still makes a repeat a no-op).
   */
  async enqueueNew(deliveries: ReadonlyArray<JobPayloads[typeof Jobs.deliverWebhook]>): Promise<void> {
    if (deliveries.length) await this.add(deliveries, 0);
  }

  /** Queues deliveries that have no live job; a finished job of the same id is replaced (manual retry, replay). */
  async enqueue(deliveryIds: readonly string[], delayMs = 0): Promise<void> {
    if (deliveryIds.length === 0) return;
    const fresh: string[] = [];
    // A replay may name thousands: look their jobs up a chunk at a time, concurrently, not one by one.
    for (let i = 0; i < deliveryIds.length; i += LOOKUP_CHUNK) {
      const chunk = deliveryIds.slice(i, i + LOOKUP_CHUNK);
      const needsJob = await Promise.all(chunk.map((id) => this.needsNewJob(id, delayMs)));
      fresh.push(...chunk.filter((_, k) => needsJob[k]));
    }
    await this.add(fresh.map((deliveryId) => ({ deliveryId })), delayMs);
  }

  /** Whether `id` needs a new job: none exists, or it finished (then it is removed). A delayed one is promoted instead. */
  private async needsNewJob(id: string, delayMs: number): Promise<boolean> {
    const job = await this.queue.getJob(id);
    if (!job) return true;
    const state = await job.getState();
    if (state === 'completed' || state === 'failed') {
      // A concurrent enqueue of the same delivery may have removed (and re-added) it already:
      // then addBulk is a no-op for this id, which is what that caller wanted too.
      await job.remove().catch(() => undefined);
      return true;
    }
    if (state === 'delayed' && delayMs === 0) await job.promote().catch(() => undefined); // it may have just become active: then it runs anyway
    return false;
  }

  private async add(jobs: ReadonlyArray<JobPayloads[typeof Jobs.deliverWebhook]>, delayMs: number): Promise<void> {
    await this.queue.addBulk(
      jobs.map((data) => ({
        name: Jobs.deliverWebhook,
        data,
        opts: { jobId: data.deliveryId, delay: delayMs, removeOnComplete: { count: 10_000, age: 24 * 3600 }, removeOnFail: { count: 10_000, age: 7 * 24 * 3600 } },
      })),
    );
  }
}
