import { InjectQueue, Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, Logger, OnApplicationBootstrap, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { MicroBatcher } from '@tessera/common';
import { Jobs, JobPayloads, Queues } from '@tessera/queue';
import { DelayedError, Job, Queue } from 'bullmq';
import { APP_CONFIG, AppConfig, WEBHOOK_LOCK_MARGIN_MS } from '../../config/config';
import { DeliveriesRepository, DeliveryContext } from './deliveries.repository';
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
  /** The jobs running at once load their deliveries together: one query per batch, not one per job. */
  private readonly loads: MicroBatcher<string, DeliveryContext | null>;

  constructor(
    private readonly repo: DeliveriesRepository,
    private readonly deliverer: WebhookDeliverer,
    private readonly fairness: EndpointFairness,
    @InjectQueue(Queues.webhooks) private readonly queue: Queue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    super();
    this.loads = new MicroBatcher((ids) => this.repo.loadMany(ids), { maxBatch: 200, maxInFlight: 1 });
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
    /** The endpoint whose slot this job holds, if it holds one. */
    let slot: EndpointLimits | null = null;
    // A parked job that wakes asks Redis first, with the limits it saw: while its endpoint is still
    // full it goes back to sleep without a query, so a long backlog costs the database nothing.
    const known = this.parkedLimits.get(id);
    if (known && known.until > Date.now()) {
      const admission = await this.fairness.acquire(known.endpoint, id, lease);
      if (admission.kind !== 'granted') return this.waitFor(job, token, admission, known.endpoint);
      slot = known.endpoint;
    }
    this.parkedLimits.delete(id);
    try {
      // A job the relay queued names its endpoint's limits: the slot is asked for while the
      // delivery loads (one round trip less on the way to the request), then checked against the row.
      const hint = slot ? null : (job.data.endpoint ?? null);
      const [ctx, early] = await Promise.all([
        this.loads.submit(id),
        hint ? this.fairness.acquire(hint, id, lease).then((a) => ((slot = a.kind === 'granted' ? hint : null), a)) : null,
      ]);
      // Parked (or given a rate instant) on the hint, but this job will not wait on it (its delivery
      // ended or is not due, or the hint is stale): out of the endpoint's line, or the next freed
      // slot would wake this job instead of one that waits.
      const due = ctx !== null && isDue(ctx);
      const hintHolds = hint !== null && ctx !== null && sameLimits(hint, limitsOf(ctx));
      if (hint && early && early.kind !== 'granted' && !(due && hintHolds)) await this.fairness.forget(hint.id, id);
      // A stale hint stays stale: the job's later runs load first and ask on the endpoint's limits.
      // Asking on the stale ones at each wake-up, it spent the rate instant it had reserved and
      // reserved a new one at the back of the line, and never got through.
      if (hint && ctx && !hintHolds) await job.updateData({ deliveryId: id });
      if (!ctx) return 'gone';
      if (ctx.status === 'success' || ctx.status === 'failed') return ctx.status;
      if (!ctx.endpoint.isActive) {
        await this.deliverer.endForInactiveEndpoint(ctx);
        return 'endpoint-inactive';
      }
      // Woken before its time (a sweep, a freed slot): back to sleep until the retry is due.
      if (!due) return await this.wait(job, token, ctx.nextRetryAt!.getTime());
      const limits = limitsOf(ctx);
      // A slot taken under limits that changed since the relay ran is given back and asked for again.
      if (slot && !sameLimits(slot, limits)) await this.freeSlot(slot.id, id).finally(() => (slot = null));
      if (!slot) {
        const admission = early && hintHolds ? early : await this.fairness.acquire(limits, id, lease);
        if (admission.kind !== 'granted') return await this.waitFor(job, token, admission, limits);
        slot = limits;
      }
      const res = await this.deliverer.send(ctx);
      // The request is over: its slot goes to the next delivery while this one is recorded.
      const freeing = this.freeSlot(slot.id, id);
      slot = null;
      const [outcome] = await Promise.all([this.deliverer.record(ctx, res), freeing]);
      if (outcome.kind === 'retry') return await this.wait(job, token, outcome.at.getTime());
      return 'ended';
    } finally {
      if (slot) await this.freeSlot((slot as EndpointLimits).id, id);
    }
  }

  /** Over a limit: until the rate allows, or parked until a slot frees (with a fallback). */
  private async waitFor(job: Job, token: string | undefined, admission: Exclude<Admission, { kind: 'granted' }>, endpoint: EndpointLimits): Promise<never> {
    if (admission.kind === 'rate') return this.wait(job, token, Date.now() + admission.waitMs);
    if (this.parkedLimits.size > 100_000) this.parkedLimits.clear();
    this.parkedLimits.set(job.data.deliveryId as string, { endpoint, until: Date.now() + PARKED_LIMITS_TTL_MS });
    await job.moveToDelayed(Date.now() + PARKED_FALLBACK_MS + Math.floor(Math.random() * PARKED_FALLBACK_MS), token);
    // A slot freed while this job was still on its way here (loading its delivery, say) found it
    // running, put it back in line and woke nobody (see freeSlot): with room now, it wakes itself.
    if (await this.fairness.hasRoom(endpoint)) await job.promote().catch(() => undefined);
    throw new DelayedError();
  }

  /** The same job back to BullMQ's delayed set: it holds no worker slot while it waits. */
  private async wait(job: Job, token: string | undefined, at: number): Promise<never> {
    await job.moveToDelayed(Math.max(at, Date.now()), token);
    throw new DelayedError();
  }

  /** Frees the delivery's slot and wakes the longest-parked job of the endpoint, if any. */
  private async freeSlot(endpointId: string, deliveryId: string): Promise<void> {
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

/** Whether the delivery is to be attempted now: open, its endpoint active, and not a retry whose time has not come. */
function isDue(ctx: DeliveryContext): boolean {
  if ((ctx.status !== 'pending' && ctx.status !== 'retrying') || !ctx.endpoint.isActive) return false;
  return !(ctx.status === 'retrying' && ctx.nextRetryAt && ctx.nextRetryAt.getTime() > Date.now() + 50);
}

function limitsOf(ctx: DeliveryContext): EndpointLimits {
  return { id: ctx.endpoint.id, maxInFlight: ctx.endpoint.maxInFlight, rateLimitPerSecond: ctx.endpoint.rateLimitPerSecond };
}

function sameLimits(a: EndpointLimits, b: EndpointLimits): boolean {
  return a.id === b.id && a.maxInFlight === b.maxInFlight && a.rateLimitPerSecond === b.rateLimitPerSecond;
}
