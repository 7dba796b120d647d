import { Injectable } from '@nestjs/common';
import { newId } from '@tessera/common';
import { Database } from '@tessera/database';
import { FAILING_THRESHOLD } from './delivery-policy';
import type { SignatureScheme } from './signing';
import type { DeliveryStatus } from './webhook-delivery.entity';

/** An outbox row claimed by the relay. */
export interface ClaimedEvent {
  id: string;
  workspaceId: string;
  type: string;
  /** `data.endpoint_id` of an operational event: the endpoint it is about. */
  aboutEndpointId: string | null;
}

export interface RelayEndpointRow {
  id: string;
  workspaceId: string;
  events: string[];
  maxInFlight: number;
  rateLimitPerSecond: number | null;
}

/** Everything one attempt needs, read in one query. */
export interface DeliveryContext {
  id: string;
  status: DeliveryStatus;
  attempts: number;
  nextRetryAt: Date | null;
  workspaceId: string;
  eventId: string;
  eventType: string;
  eventData: Record<string, unknown>;
  eventCreatedAt: Date;
  endpoint: {
    id: string;
    url: string;
    isActive: boolean;
    headers: Record<string, string>;
    signatureScheme: SignatureScheme;
    secretSealed: string;
    previousSecretSealed: string | null;
    previousSecretExpiresAt: Date | null;
    maxInFlight: number;
    rateLimitPerSecond: number | null;
    disabledReason: string | null;
    /** As loaded: whether a success would end a failing streak (and so must be recorded with its event). */
    consecutiveFailures: number;
  };
}

export interface AttemptRecord {
  deliveryId: string;
  attempt: number;
  statusCode: number | null;
  responseBody: string | null;
  durationMs: number;
  error: string | null;
}

/** An open delivery the recovery sweep found overdue; the last of a page is where the next one starts. */
export interface OverdueDelivery {
  endpointId: string;
  id: string;
}

/** The endpoint's counters after an attempt was counted. */
export interface EndpointCounters {
  id: string;
  workspaceId: string;
  url: string;
  isActive: boolean;
  consecutiveFailures: number;
  failingSince: Date | null;
}

/**
 * The worker's SQL for webhook delivery: the outbox relay, one attempt's bookkeeping (delivery,
 * attempt row and endpoint counters, always in the caller's transaction), the recovery sweep and
 * retention. The API's reads of the delivery log live elsewhere.
 */
/** TypeORM answers an UPDATE … RETURNING with [rows, count] and a SELECT or INSERT with the rows. */
function updated<T>(result: [T[], number]): T[] {
  return result[0];
}

@Injectable()
export class DeliveriesRepository {
  constructor(private readonly db: Database) {}

  transaction<T>(work: () => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  /**
   * Locks up to `limit` unrelayed events, oldest first. SKIP LOCKED: several relays (worker
   * processes) take disjoint batches and never wait for each other. In a transaction.
   */
  async claimEvents(limit: number): Promise<ClaimedEvent[]> {
    const rows = await this.db.query<Array<{ id: string; workspace_id: string; type: string; about: string | null }>>(
      `SELECT id, workspace_id, type, data->>'endpoint_id' AS about FROM events
        WHERE published_at IS NULL ORDER BY created_at, id LIMIT $1 FOR NO KEY UPDATE SKIP LOCKED`,
      [limit],
    );
    return rows.map((r) => ({ id: r.id, workspaceId: r.workspace_id, type: r.type, aboutEndpointId: r.about }));
  }

  async activeEndpoints(workspaceIds: readonly string[]): Promise<RelayEndpointRow[]> {
    if (workspaceIds.length === 0) return [];
    const rows = await this.db.query<Array<{ id: string; workspace_id: string; events: string[]; max_in_flight: number; rate_limit_per_second: number | null }>>(
      `SELECT id, workspace_id, events, max_in_flight, rate_limit_per_second FROM webhook_endpoints WHERE is_active AND workspace_id = ANY($1::text[])`,
      [workspaceIds],
    );
    return rows.map((r) => ({ id: r.id, workspaceId: r.workspace_id, events: r.events, maxInFlight: r.max_in_flight, rateLimitPerSecond: r.rate_limit_per_second }));
  }

  /** One pending delivery per (event, endpoint); a pair that already has one is left alone. Returns the new ones. */
  async insertDeliveries(rows: ReadonlyArray<{ workspaceId: string; endpointId: string; eventId: string; eventType: string }>): Promise<Array<{ id: string; endpointId: string }>> {
    if (rows.length === 0) return [];
    const inserted = await this.db.query<Array<{ id: string; endpoint_id: string }>>(
      `INSERT INTO webhook_deliveries (id, workspace_id, endpoint_id, event_id, event_type)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
       ON CONFLICT (event_id, endpoint_id) DO NOTHING RETURNING id, endpoint_id`,
      [rows.map(() => newId('dlv')), rows.map((r) => r.workspaceId), rows.map((r) => r.endpointId), rows.map((r) => r.eventId), rows.map((r) => r.eventType)],
    );
    return inserted.map((r) => ({ id: r.id, endpointId: r.endpoint_id }));
  }

  async markPublished(eventIds: readonly string[]): Promise<void> {
    if (eventIds.length === 0) return;
    await this.db.query(`UPDATE events SET published_at = now() WHERE id = ANY($1::text[])`, [eventIds]);
  }

  /**
   * The deliveries named, each with its event and endpoint, in one query (a batch of jobs asks
   * together: see DeliveryProcessor). Answers in the order of `ids`, null where a delivery is gone.
   */
  async loadMany(ids: readonly string[]): Promise<Array<DeliveryContext | null>> {
    const rows = await this.db.rows<Record<string, unknown>>({
      name: 'webhook_deliveries_load',
      text: `SELECT d.id, d.status, d.attempts, d.next_retry_at, d.workspace_id, d.event_id,
              e.type AS event_type, e.data AS event_data, e.created_at AS event_created_at,
              w.id AS endpoint_id, w.url, w.is_active, w.headers, w.signature_scheme, w.secret_sealed,
              w.previous_secret_sealed, w.previous_secret_expires_at, w.max_in_flight, w.rate_limit_per_second, w.disabled_reason, s.consecutive_failures
         FROM webhook_deliveries d
         JOIN events e ON e.id = d.event_id
         JOIN webhook_endpoints w ON w.id = d.endpoint_id
         JOIN webhook_endpoint_stats s ON s.endpoint_id = d.endpoint_id
        WHERE d.id = ANY($1::text[])`,
      values: [ids],
    });
    const byId = new Map(rows.map((r) => [r.id as string, r]));
    return ids.map((id) => {
      const r = byId.get(id);
      if (!r) return null;
      return {
        id: r.id as string,
        status: r.status as DeliveryStatus,
        attempts: r.attempts as number,
        nextRetryAt: r.next_retry_at as Date | null,
        workspaceId: r.workspace_id as string,
        eventId: r.event_id as string,
        eventType: r.event_type as string,
        eventData: r.event_data as Record<string, unknown>,
        eventCreatedAt: r.event_created_at as Date,
        endpoint: {
          id: r.endpoint_id as string,
          url: r.url as string,
          isActive: r.is_active as boolean,
          headers: (r.headers ?? {}) as Record<string, string>,
          signatureScheme: r.signature_scheme as SignatureScheme,
          secretSealed: r.secret_sealed as string,
          previousSecretSealed: r.previous_secret_sealed as string | null,
          previousSecretExpiresAt: r.previous_secret_expires_at as Date | null,
          maxInFlight: r.max_in_flight as number,
          rateLimitPerSecond: r.rate_limit_per_second as number | null,
          disabledReason: r.disabled_reason as string | null,
          consecutiveFailures: r.consecutive_failures as number,
        },
      };
    });
  }

  /**
   * Successful attempts of many deliveries in ONE statement (no transaction round trips, so each
   * endpoint's counters row is locked only while the statement runs): the attempt rows, the
   * deliveries ended as success, and each endpoint's counters moved once by its number of
   * successes; for an endpoint whose announced failing streak (FAILING_THRESHOLD failures or more)
   * this batch ends, its webhook.endpoint.recovered event, in the same commit (written after it, a
   * worker dying in between lost it). Counter rows are locked first, in id order, then deliveries: the order of an
   * endpoint's DELETE (its counters row, then its deliveries, by cascade) and of a failed
   * attempt's transaction, so none of them deadlocks with a batch, nor two batches.
   * Answers in the order of `records`: null for a delivery no longer open (nothing written for
   * it), else the consecutive failures its endpoint had before this batch (given with the first
   * success of each endpoint only, so that the streak's end is audited once; 0 on the others).
   */
  async recordSuccesses(records: ReadonlyArray<AttemptRecord & { statusCode: number; endpointId: string }>): Promise<Array<{ previousFailures: number } | null>> {
    if (records.length === 0) return [];
    // One id ready for each endpoint's webhook.endpoint.recovered, written only if its streak ends here.
    const endpoints = [...new Set(records.map((r) => r.endpointId))];
    const rows = await this.db.rows<{ id: string; endpoint_id: string; previous: number }>({
      name: 'webhook_deliveries_record_successes',
      // Every delivery row is reached by its primary key, whatever PostgreSQL's statistics say:
      // the open/ended test is written `NOT IN ('success', 'failed')`, which the partial index of
      // open deliveries cannot serve, and the endpoint test is on `target`, which no index of
      // webhook_deliveries can serve. Written `status IN ('pending', 'retrying') AND endpoint_id =
      // ANY (…)`, the planner took those indexes whenever its statistics were older than a burst
      // (a quiet table analyzed, then 20,000 deliveries queued): every batch then read the whole
      // backlog, 12 to 20 ms a batch at 20,000 open instead of under 1.
      text: `WITH input AS MATERIALIZED (
         SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::int[]) AS i(delivery_id, attempt_id, status_code, response_body, duration_ms)
       ), target AS MATERIALIZED (
         SELECT i.*, wd.endpoint_id FROM input i JOIN webhook_deliveries wd ON wd.id = i.delivery_id
       ), old AS MATERIALIZED (
         SELECT s.endpoint_id AS id, s.consecutive_failures AS previous FROM webhook_endpoint_stats s
          WHERE s.endpoint_id IN (SELECT t.endpoint_id FROM target t)
          ORDER BY s.endpoint_id FOR NO KEY UPDATE
       ), d AS (
         -- The array is a subquery run once, whole, before the first delivery row is locked: every
         -- counters row is held by then. (A deleted endpoint has none, and its deliveries are gone too.)
         UPDATE webhook_deliveries wd SET status = 'success', attempts = wd.attempts + 1, next_retry_at = NULL, last_status_code = t.status_code,
                last_error = NULL, updated_at = now(), completed_at = now()
           FROM target t WHERE wd.id = t.delivery_id AND wd.status NOT IN ('success', 'failed') AND t.endpoint_id = ANY ((SELECT array_agg(id) FROM old)::text[])
         RETURNING wd.id, wd.attempts, wd.endpoint_id
       ), a AS (
         INSERT INTO webhook_attempts (id, delivery_id, attempt, status_code, response_body, duration_ms, error)
         SELECT i.attempt_id, d.id, d.attempts, i.status_code, i.response_body, i.duration_ms, NULL FROM d JOIN input i ON i.delivery_id = d.id
       ), per AS (
         SELECT endpoint_id, count(*)::int AS n FROM d GROUP BY endpoint_id
       ), w AS (
         UPDATE webhook_endpoint_stats s SET success_count = s.success_count + per.n, consecutive_failures = 0, failing_since = NULL, last_delivery_at = now()
           FROM per JOIN old ON old.id = per.endpoint_id WHERE s.endpoint_id = per.endpoint_id RETURNING s.endpoint_id AS id, old.previous
       ), recovered AS (
         -- The end of an announced failing streak, committed with the success that ends it.
         INSERT INTO events (id, workspace_id, type, data)
         SELECT r.event_id, e.workspace_id, 'webhook.endpoint.recovered', jsonb_build_object('endpoint_id', e.id, 'url', e.url, 'failures_before', w.previous)
           FROM w JOIN unnest($6::text[], $7::text[]) AS r(endpoint_id, event_id) ON r.endpoint_id = w.id JOIN webhook_endpoints e ON e.id = w.id
          WHERE w.previous >= $8
       )
       SELECT d.id, d.endpoint_id, w.previous FROM d JOIN w ON w.id = d.endpoint_id`,
      values: [
        records.map((r) => r.deliveryId),
        records.map(() => newId('att')),
        records.map((r) => r.statusCode),
        records.map((r) => r.responseBody),
        records.map((r) => r.durationMs),
        endpoints,
        endpoints.map(() => newId('evt')),
        FAILING_THRESHOLD,
      ],
    });
    const byId = new Map(rows.map((r) => [r.id, r]));
    const announced = new Set<string>();
    return records.map((rec) => {
      const r = byId.get(rec.deliveryId);
      if (!r) return null;
      if (announced.has(r.endpoint_id)) return { previousFailures: 0 };
      announced.add(r.endpoint_id);
      return { previousFailures: r.previous };
    });
  }

  /**
   * Locks the counters of the delivery's endpoint, then the delivery if it is open, and returns its
   * attempts so far; null when it already ended (or is gone). Counters first, as recordSuccesses
   * and an endpoint's DELETE lock them. In a transaction. (The delivery is one entry of the index
   * of open deliveries, keyed (endpoint_id, id): never a scan of the others.)
   */
  async lockOpen(deliveryId: string, endpointId: string): Promise<{ attempts: number } | null> {
    const rows = await this.db.query<Array<{ attempts: number }>>(
      `WITH counters AS (SELECT 1 FROM webhook_endpoint_stats WHERE endpoint_id = $2 FOR NO KEY UPDATE)
       SELECT attempts FROM webhook_deliveries WHERE id = $1 AND endpoint_id = $2 AND status IN ('pending', 'retrying') AND EXISTS (SELECT 1 FROM counters)
          FOR NO KEY UPDATE`,
      [deliveryId, endpointId],
    );
    return rows[0] ?? null;
  }

  async insertAttempt(a: AttemptRecord): Promise<void> {
    await this.db.query(
      `INSERT INTO webhook_attempts (id, delivery_id, attempt, status_code, response_body, duration_ms, error) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [newId('att'), a.deliveryId, a.attempt, a.statusCode, a.responseBody, a.durationMs, a.error],
    );
  }

  /** Sets the outcome of an attempt: success/failed end the delivery, retrying sets when the next one is due. */
  async updateDelivery(
    deliveryId: string,
    u: { status: DeliveryStatus; attempts: number; nextRetryAt: Date | null; lastStatusCode: number | null; lastError: string | null },
  ): Promise<void> {
    await this.db.query(
      `UPDATE webhook_deliveries SET status = $2, attempts = $3, next_retry_at = $4, last_status_code = $5, last_error = $6, updated_at = now(),
              completed_at = CASE WHEN $2 IN ('success', 'failed') THEN now() ELSE NULL END
        WHERE id = $1`,
      [deliveryId, u.status, u.attempts, u.nextRetryAt, u.lastStatusCode, u.lastError],
    );
  }

  /**
   * Ends an open delivery without an attempt (its endpoint is disabled); false when it was not open.
   * The endpoint makes it one entry of the index of open deliveries: by id alone, PostgreSQL could
   * walk that whole index (every workspace's open deliveries) to find it.
   */
  async endWithoutAttempt(deliveryId: string, endpointId: string, reason: string): Promise<boolean> {
    const rows = updated(await this.db.query<[Array<{ id: string }>, number]>(
      `UPDATE webhook_deliveries SET status = 'failed', next_retry_at = NULL, last_error = $3, updated_at = now(), completed_at = now()
        WHERE id = $1 AND endpoint_id = $2 AND status IN ('pending', 'retrying') RETURNING id`,
      [deliveryId, endpointId, reason],
    ));
    return rows.length === 1;
  }

  /** Counts an attempt on its endpoint. The counters' row lock serialises concurrent attempts, so each streak length is seen once. */
  async countOnEndpoint(endpointId: string, success: boolean): Promise<EndpointCounters & { previousFailures: number }> {
    const rows = await this.db.query<Array<{ id: string; workspace_id: string; url: string; is_active: boolean; consecutive_failures: number; failing_since: Date | null; previous: number }>>(
      `WITH old AS (
         SELECT endpoint_id, consecutive_failures AS previous FROM webhook_endpoint_stats WHERE endpoint_id = $1 FOR NO KEY UPDATE
       ), s AS (
         UPDATE webhook_endpoint_stats s SET ${
           success
             ? `success_count = s.success_count + 1, consecutive_failures = 0, failing_since = NULL, last_delivery_at = now()`
             : `failure_count = s.failure_count + 1, consecutive_failures = s.consecutive_failures + 1, failing_since = COALESCE(s.failing_since, now()), last_delivery_at = now()`
         }
           FROM old WHERE s.endpoint_id = old.endpoint_id RETURNING s.endpoint_id, s.consecutive_failures, s.failing_since, old.previous
       )
       SELECT w.id, w.workspace_id, w.url, w.is_active, s.consecutive_failures, s.failing_since, s.previous FROM s JOIN webhook_endpoints w ON w.id = s.endpoint_id`,
      [endpointId],
    );
    const r = rows[0];
    return { id: r.id, workspaceId: r.workspace_id, url: r.url, isActive: r.is_active, consecutiveFailures: r.consecutive_failures, failingSince: r.failing_since, previousFailures: r.previous };
  }

  /** Disables an active endpoint; false when it was already inactive (so only one caller announces it). */
  async disableEndpoint(endpointId: string, reason: string): Promise<boolean> {
    const rows = updated(await this.db.query<[Array<{ id: string }>, number]>(
      `UPDATE webhook_endpoints SET is_active = false, disabled_reason = $2, disabled_at = now(), updated_at = now() WHERE id = $1 AND is_active RETURNING id`,
      [endpointId, reason],
    ));
    return rows.length === 1;
  }

  /**
   * Open deliveries that should have been attempted a while ago and may have no job (the worker or
   * Redis died between the relay's commit and its enqueue, or Redis lost the job), `limit` at a
   * time after `after`, in (endpoint_id, id) order: the order of the index of open deliveries,
   * which no other index has, so the sweep reads open deliveries only, whatever the statistics
   * say. In id order, PostgreSQL walked the primary key through every ended delivery whenever it
   * expected many open ones to be overdue (a backlog of retries not yet due, or statistics taken
   * during a burst): the whole table, every 30 s, in every worker.
   */
  async overdue(olderThanSeconds: number, limit: number, after: OverdueDelivery = { endpointId: '', id: '' }): Promise<OverdueDelivery[]> {
    const rows = await this.db.query<Array<{ endpoint_id: string; id: string }>>(
      `SELECT endpoint_id, id FROM webhook_deliveries
        WHERE status IN ('pending', 'retrying') AND COALESCE(next_retry_at, updated_at) < now() - make_interval(secs => $1) AND (endpoint_id, id) > ($3, $4)
        ORDER BY endpoint_id, id LIMIT $2`,
      [olderThanSeconds, limit, after.endpointId, after.id],
    );
    return rows.map((r) => ({ endpointId: r.endpoint_id, id: r.id }));
  }

  /**
   * Retention, one batch: attempts, then ended deliveries, then relayed events nothing refers to,
   * older than the cutoff. Rows removed. A batch reads what it deletes, whatever the tables hold:
   * - each DELETE takes its batch as an array of ids, made first, and reaches every row by its
   *   primary key. Written `id IN (SELECT … LIMIT $2)`, the batch was a semi-join, which
   *   PostgreSQL ran as a hash join over a sequential scan of the whole table: every batch of
   *   5,000 read every attempt (and every inbound message) kept, 1,365,000 rows at that size;
   * - whether an attempt's delivery has ended, and whether an event still has deliveries, is one
   *   probe by key per row: `OFFSET 0` keeps each test a subplan. As joins, PostgreSQL hashed the
   *   whole deliveries table for each batch.
   */
  async purgeBatch(before: Date, batch: number): Promise<{ attempts: number; deliveries: number; events: number; inboundMessages: number }> {
    const count = async (sql: string) => (await this.db.query<Array<{ n: number }>>(sql, [before, batch]))[0]?.n ?? 0;
    // Only what has ended: an open delivery keeps its attempts however old. The status is checked
    // again on the row being deleted, so a replay that reopened it a moment ago keeps it.
    const attempts = await count(
      `WITH gone AS (DELETE FROM webhook_attempts WHERE id = ANY (ARRAY(
         SELECT a.id FROM webhook_attempts a WHERE a.created_at < $1
            AND EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.id = a.delivery_id AND d.status IN ('success', 'failed') OFFSET 0) LIMIT $2)) RETURNING 1)
       SELECT count(*)::int AS n FROM gone`,
    );
    const deliveries = await count(
      `WITH gone AS (DELETE FROM webhook_deliveries WHERE status IN ('success', 'failed') AND id = ANY (ARRAY(
         SELECT id FROM webhook_deliveries WHERE created_at < $1 AND status IN ('success', 'failed') LIMIT $2)) RETURNING 1) SELECT count(*)::int AS n FROM gone`,
    );
    const events = await count(
      `WITH gone AS (DELETE FROM events WHERE id = ANY (ARRAY(
         SELECT e.id FROM events e WHERE e.published_at IS NOT NULL AND e.published_at < $1
            AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id OFFSET 0) LIMIT $2)) RETURNING 1) SELECT count(*)::int AS n FROM gone`,
    );
    // Provider message ids outlive any provider's retry window (Stripe's is 3 days) at the same retention.
    const inboundMessages = await count(
      `WITH gone AS (DELETE FROM inbound_messages WHERE id = ANY (ARRAY(SELECT id FROM inbound_messages WHERE received_at < $1 LIMIT $2)) RETURNING 1) SELECT count(*)::int AS n FROM gone`,
    );
    return { attempts, deliveries, events, inboundMessages };
  }

}
