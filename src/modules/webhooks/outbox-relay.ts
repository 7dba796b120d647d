import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Client } from 'pg';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { DeliveriesRepository, OverdueDelivery, RelayEndpointRow } from './deliveries.repository';
import { recipients } from './delivery-policy';
import { DeliveryQueue } from './delivery-queue';

/** The channel the events table's trigger notifies on every committed insert. */
export const EVENTS_CHANNEL = 'tessera_events';
/** Events claimed per relay transaction. */
const BATCH = 500;
/** The relay also looks every so often, in case a notification was missed (listener reconnecting). */
const POLL_MS = 1_000;
/** The recovery sweep runs this often and re-queues open deliveries overdue by more than SWEEP_GRACE_S. */
const SWEEP_MS = 30_000;
const SWEEP_GRACE_S = 60;
const SWEEP_LIMIT = 1_000;

/**
 * The outbox relay, in the worker: wakes on every commit of an event (LISTEN/NOTIFY, with a 1 s
 * poll behind it), claims a batch of unrelayed events with FOR UPDATE SKIP LOCKED (so several
 * worker processes relay side by side without double work), creates one delivery per subscribed
 * active endpoint (unique on event + endpoint: a relay that runs twice creates nothing twice),
 * marks the events relayed, commits, and only then enqueues the new deliveries. If the process or
 * Redis dies between the commit and the enqueue, the recovery sweep queues the open deliveries
 * that nobody attempted in time (enqueueing a delivery that has a live job is a no-op).
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  private listener?: Client;
  private stopped = false;
  private running: Promise<void> | null = null;
  private again = false;
  private timers: NodeJS.Timeout[] = [];
  /** Where the sweep's next page starts (none: from the first open delivery). */
  private sweepCursor: OverdueDelivery | undefined;

  constructor(
    private readonly repo: DeliveriesRepository,
    private readonly queue: DeliveryQueue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.listen();
    this.timers.push(setInterval(() => this.kick(), POLL_MS), setInterval(() => void this.sweep(), SWEEP_MS));
    this.kick();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    await this.running?.catch(() => undefined);
    await this.listener?.end().catch(() => undefined);
  }

  /** Runs the relay now, or once more right after the run in progress. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain().finally(() => {
      this.running = null;
      // A notification that came after drain() last looked must not wait for the poll.
      if (this.again) this.kick();
    });
  }

  /** Relays until the outbox is empty (or the process stops). */
  async drain(): Promise<void> {
    do {
      this.again = false;
      try {
        while (!this.stopped && (await this.relayBatch()) === BATCH);
      } catch (err) {
        this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'outbox relay failed; retrying on the next tick');
        return;
      }
    } while (this.again && !this.stopped);
  }

  /** One batch: claim, fan out, mark relayed, commit, then enqueue. Returns how many events it claimed. */
  async relayBatch(): Promise<number> {
    const { claimed, deliveries } = await this.repo.transaction(async () => {
      const events = await this.repo.claimEvents(BATCH);
      if (events.length === 0) return { claimed: 0, deliveries: [] };
      const endpoints = await this.repo.activeEndpoints([...new Set(events.map((e) => e.workspaceId))]);
      const byWorkspace = new Map<string, RelayEndpointRow[]>();
      for (const e of endpoints) byWorkspace.set(e.workspaceId, [...(byWorkspace.get(e.workspaceId) ?? []), e]);
      const rows = events.flatMap((ev) =>
        recipients(ev, byWorkspace.get(ev.workspaceId) ?? []).map((ep) => ({ workspaceId: ev.workspaceId, endpointId: ep.id, eventId: ev.id, eventType: ev.type })),
      );
      const inserted = await this.repo.insertDeliveries(rows);
      await this.repo.markPublished(events.map((e) => e.id));
      const limits = new Map(endpoints.map((e) => [e.id, { id: e.id, maxInFlight: e.maxInFlight, rateLimitPerSecond: e.rateLimitPerSecond }]));
      return { claimed: events.length, deliveries: inserted.map((d) => ({ deliveryId: d.id, endpoint: limits.get(d.endpointId)! })) };
    });
    if (deliveries.length) {
      // After the commit: a job may only point at a delivery that exists. If this fails, the sweep re-queues them.
      await this.queue.enqueueNew(deliveries).catch((err: unknown) => {
        this.logger.warn({ err: err instanceof Error ? err.message : String(err), deliveries: deliveries.length }, 'deliveries not queued; the recovery sweep will');
      });
    }
    return claimed;
  }

  /**
   * Queues open deliveries that should have been attempted more than `graceSeconds` ago. A
   * delivery whose job is waiting, running or delayed keeps it (a 1 ms delay never promotes a
   * delayed job); one whose job is missing or finished gets a new one. Pages through the open
   * deliveries across runs, so a long backlog cannot hide a lost one.
   */
  async sweep(graceSeconds = SWEEP_GRACE_S): Promise<number> {
    if (this.stopped) return 0;
    try {
      const due = await this.repo.overdue(graceSeconds, SWEEP_LIMIT, this.sweepCursor);
      this.sweepCursor = due.length === SWEEP_LIMIT ? due[due.length - 1] : undefined;
      await this.queue.enqueue(due.map((d) => d.id), 1);
      return due.length;
    } catch (err) {
      this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'webhook recovery sweep failed');
      return 0;
    }
  }

  private async listen(): Promise<void> {
    if (this.stopped) return;
    const client = new Client({ connectionString: this.config.databaseUrl, application_name: 'tessera-webhook-relay' });
    const retry = () => {
      if (this.listener !== client || this.stopped) return;
      this.listener = undefined;
      client.end().catch(() => undefined);
      setTimeout(() => void this.listen(), 1_000).unref();
    };
    client.on('notification', () => this.kick());
    client.on('error', (err: Error) => {
      this.logger.warn({ err: err.message }, 'outbox listener lost; polling until it is back');
      retry();
    });
    client.on('end', retry);
    this.listener = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${EVENTS_CHANNEL}`);
    } catch (err) {
      this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'outbox listener not connected; polling until it is');
      retry();
    }
  }
}
