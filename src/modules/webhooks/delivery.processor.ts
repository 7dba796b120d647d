import { InjectQueue, Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, Logger, OnApplicationBootstrap, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Jobs, JobPayloads, Queues } from '@tessera/queue';
import { DelayedError, Job, Queue } from 'bullmq';
import { APP_CONFIG, AppConfig, WEBHOOK_LOCK_MARGIN_MS } from '../../config/config';
import { DeliveriesRepository } from './deliveries.repository';
import { Admission, EndpointFairness, EndpointLimits } from './endpoint-fairness';
import { WebhookDeliverer } from './webhook-deliverer';

/** A parked job comes back by itself after this long (plus a spread) if no freed slot woke it first. */
const PARKED_FALLBACK_MS = 15_000;
/** How long a parked delivery's endpoint limits are trusted without reading the endpoint again. */
const PARKED_LIMITS_TTL_MS = 60_000;
/** Retention runs every hour, in batches of this many rows. */
const PURGE_EVERY_MS = 3_600_000;
const PURGE_BATCH = 5_000;

/**
 * The webhooks queue's worker. A delivery job (jobId = delivery id) looks at its delivery: ended →
 * done; endpoint disabled → ended as failed without a request; else it waits for its endpoint's
 * fairness admission, makes one attempt and, for a retry, moves itself back to delayed until the
 * next one is due. Every wait is BullMQ's delayed set (`moveToDelayed` + DelayedError), never a
 * held worker slot, and never counts as a BullMQ attempt. The lock (WEBHOOKS_LOCK_MS) outlasts the
 * HTTP timeout by a margin, so a stalled-job check never re-runs an attempt still in flight.
 * The options in the decorator are replaced from the configuration by WebhookWorkerModule.forRoot.
 */
@Processor(Queues.webhooks)
export class DeliveryProcessor extends WorkerHost implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(DeliveryProcessor.name);
  /** Parked deliveries of this process → their endpoint's limits, so a wake-up while still full needs no query. */
  private readonly parkedLimits = new Map<string, { endpoint: EndpointLimits; until: number }>();

  constructor(
    private readonly repo: DeliveriesRepository,
    private readonly deliverer: WebhookDeliverer,
    private readonly fairness: EndpointFairness,
    @InjectQueue(Queues.webhooks) private readonly queue: Queue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    super();
  }

  /** Refuses to start with a lock the HTTP timeout could outlast (the configuration refuses it too). */
  onModuleInit(): void {
    const { lockDurationMs, timeoutMs } = this.config.webhooks;
    if (lockDurationMs < timeoutMs + WEBHOOK_LOCK_MARGIN_MS) {
      throw new Error(`webhook job lock ${lockDurationMs} ms does not outlast the HTTP timeout ${timeoutMs} ms by ${WEBHOOK_LOCK_MARGIN_MS} ms: a stalled-job re-run could deliver twice`);
    }
  }

  async onApplicationBootstrap(): Promise<void> {
    const lock = this.worker.opts.lockDuration ?? 0;
    if (lock < this.config.webhooks.timeoutMs + WEBHOOK_LOCK_MARGIN_MS) {
      throw new Error(`the webhooks worker runs with a ${lock} ms lock: register it through WebhookWorkerModule.forRoot`);
    }
    await this.queue.upsertJobScheduler(Jobs.purgeWebhooks, { every: PURGE_EVERY_MS }, { name: Jobs.purgeWebhooks, data: {}, opts: { removeOnComplete: true, removeOnFail: 100 } });
  }

  /**
   * Shutdown (SIGTERM): stop taking jobs and let the active attempts finish in the first phase,
   * while the HTTP client, PostgreSQL and Redis are all still open (they close in later phases).
   */
  async onModuleDestroy(): Promise<void> {
    let worker;
    try {
      worker = this.worker;
    } catch {
      return; // never created (the process failed to start)
    }
    await worker.close();
  }

  async process(job: Job, token?: string): Promise<unknown> {
    if (job.name === Jobs.purgeWebhooks) return this.purge();
    if (job.name !== Jobs.deliverWebhook) throw new Error(`no handler for job ${job.name}`);
    return this.deliver(job as Job<JobPayloads[typeof Jobs.deliverWebhook]>, token);
  }

  private async deliver(job: Job<JobPayloads[typeof Jobs.deliverWebhook]>, token: string | undefined): Promise<string> {
    const id = job.data.deliveryId;
    const lease = this.config.webhooks.lockDurationMs;
    let held = false;
    // A parked job that wakes asks Redis first, with the limits it saw: while its endpoint is still
    // full it goes back to sleep without a query, so a long backlog costs the database nothing.
    const known = this.parkedLimits.get(id);
    if (known && known.until > Date.now()) {
      const admission = await this.fairness.acquire(known.endpoint, id, lease);
      if (admission.kind !== 'granted') return this.waitFor(job, token, admission, known.endpoint);
      held = true;
    }
    this.parkedLimits.delete(id);
    let endpointId: string | null = known?.endpoint.id ?? null;
    try {
      const ctx = await this.repo.load(id);
      if (!ctx) return 'gone';
      endpointId = ctx.endpoint.id;
      if (ctx.status === 'success' || ctx.status === 'failed') return ctx.status;
      if (!ctx.endpoint.isActive) {
        await this.deliverer.endForInactiveEndpoint(ctx);
        return 'endpoint-inactive';
      }
      // Woken before its time (a sweep, a freed slot): back to sleep until the retry is due.
      if (ctx.status === 'retrying' && ctx.nextRetryAt && ctx.nextRetryAt.getTime() > Date.now() + 50) {
        return await this.wait(job, token, ctx.nextRetryAt.getTime());
      }
      if (!held) {
        const admission = await this.fairness.acquire(ctx.endpoint, id, lease);
        if (admission.kind !== 'granted') return await this.waitFor(job, token, admission, ctx.endpoint);
        held = true;
      }
      const outcome = await this.deliverer.attempt(ctx);
      if (outcome.kind === 'retry') return await this.wait(job, token, outcome.at.getTime());
      return 'ended';
    } finally {
      if (held && endpointId) await this.wakeNext(endpointId, id);
    }
  }

  /** Over a limit: until the rate allows, or parked until a slot frees (with a fallback). */
  private waitFor(job: Job, token: string | undefined, admission: Exclude<Admission, { kind: 'granted' }>, endpoint: EndpointLimits): Promise<never> {
    if (admission.kind === 'rate') return this.wait(job, token, Date.now() + admission.waitMs);
    if (this.parkedLimits.size > 100_000) this.parkedLimits.clear();
    const limits = { id: endpoint.id, maxInFlight: endpoint.maxInFlight, rateLimitPerSecond: endpoint.rateLimitPerSecond };
    this.parkedLimits.set(job.data.deliveryId as string, { endpoint: limits, until: Date.now() + PARKED_LIMITS_TTL_MS });
    return this.wait(job, token, Date.now() + PARKED_FALLBACK_MS + Math.floor(Math.random() * PARKED_FALLBACK_MS));
  }

  /** The same job back to BullMQ's delayed set: it holds no worker slot while it waits. */
  private async wait(job: Job, token: string | undefined, at: number): Promise<never> {
    await job.moveToDelayed(Math.max(at, Date.now()), token);
    throw new DelayedError();
  }

  /** Frees the delivery's slot and wakes the longest-parked job of the endpoint, if any. */
  private async wakeNext(endpointId: string, deliveryId: string): Promise<void> {
    try {
      for (let tries = 0; tries < 5; tries++) {
        const next = await (tries === 0 ? this.fairness.release(endpointId, deliveryId) : this.fairness.release(endpointId, ''));
        if (!next) return;
        const job = await this.queue.getJob(next);
        if (!job) continue; // its delivery ended meanwhile: wake the next one
        const state = await job.getState();
        if (state === 'delayed') {
          const promoted = await job.promote().then(() => true, () => false);
          if (promoted) return;
        }
        if (state === 'active') return void (await this.fairness.repark(endpointId, next)); // still on its way to the delayed set
        if (state === 'waiting' || state === 'prioritized') return; // it runs soon anyway
      }
    } catch (err) {
      // The parked jobs come back on their own after the fallback delay.
      this.logger.warn({ err: err instanceof Error ? err.message : String(err), endpointId }, 'could not wake a parked webhook delivery');
    }
  }

  /** Retention: attempts, ended deliveries and relayed events older than WEBHOOKS_RETENTION_DAYS, in batches. */
  async purge(now = new Date()): Promise<{ attempts: number; deliveries: number; events: number; inboundMessages: number }> {
    const before = new Date(now.getTime() - this.config.webhooks.retentionDays * 86_400_000);
    const total = { attempts: 0, deliveries: 0, events: 0, inboundMessages: 0 };
    for (;;) {
      const n = await this.repo.purgeBatch(before, PURGE_BATCH);
      for (const k of Object.keys(total) as Array<keyof typeof total>) total[k] += n[k];
      if (Object.values(n).every((v) => v < PURGE_BATCH)) break;
    }
    if (Object.values(total).some((v) => v > 0)) this.logger.log(total, 'webhook history purged');
    return total;
  }
}
