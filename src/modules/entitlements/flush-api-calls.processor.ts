import { InjectQueue, Processor, WorkerHost } from '@nestjs/bullmq';
import { OnApplicationBootstrap } from '@nestjs/common';
import { Job, Queue } from 'bullmq';
import { Jobs, Queues } from '@tessera/queue';
import { EntitlementsService } from './entitlements.service';

/** Every 10 seconds: the api_calls counted in Redis go to PostgreSQL in one batch. */
@Processor(Queues.metering)
export class FlushApiCallsProcessor extends WorkerHost implements OnApplicationBootstrap {
  constructor(
    private readonly entitlements: EntitlementsService,
    @InjectQueue(Queues.metering) private readonly queue: Queue,
  ) {
    super();
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.queue.upsertJobScheduler(Jobs.flushApiCalls, { every: 10_000 }, { name: Jobs.flushApiCalls, data: {}, opts: { removeOnComplete: true, removeOnFail: 100 } });
  }

  async process(job: Job): Promise<{ workspaces: number }> {
    if (job.name !== Jobs.flushApiCalls) throw new Error(`no handler for job ${job.name}`);
    return { workspaces: await this.entitlements.flushApiCalls() };
  }
}
