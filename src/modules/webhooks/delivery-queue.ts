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
@Injectable()
export class DeliveryQueue {
  constructor(@InjectQueue(Queues.webhooks) private readonly queue: Queue) {
    logQueueErrors(queue);
  }

  /** Queues deliveries that have no live job; a finished job of the same id is replaced (manual retry, replay). */
  async enqueue(deliveryIds: readonly string[], delayMs = 0): Promise<void> {
    if (deliveryIds.length === 0) return;
    const fresh: string[] = [];
    for (const id of deliveryIds) {
      const job = await this.queue.getJob(id);
      if (!job) {
        fresh.push(id);
        continue;
      }
      const state = await job.getState();
      if (state === 'completed' || state === 'failed') {
        // A concurrent enqueue of the same delivery may have removed (and re-added) it already:
        // then addBulk below is a no-op for this id, which is what that caller wanted too.
        await job.remove().catch(() => undefined);
        fresh.push(id);
      } else if (state === 'delayed' && delayMs === 0) {
        await job.promote().catch(() => undefined); // it may have just become active: then it runs anyway
      }
    }
    await this.queue.addBulk(
      fresh.map((deliveryId) => ({
        name: Jobs.deliverWebhook,
        data: { deliveryId } satisfies JobPayloads[typeof Jobs.deliverWebhook],
        opts: { jobId: deliveryId, delay: delayMs, removeOnComplete: { count: 10_000, age: 24 * 3600 }, removeOnFail: { count: 10_000, age: 7 * 24 * 3600 } },
      })),
    );
  }
}
