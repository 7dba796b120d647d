import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { newId } from '@tessera/common';
import { DataSource } from 'typeorm';
import type { TestApp } from '../utils/app';
import type { Account } from './accounts';

export const wsHeader = (a: Account) => ({ 'X-Workspace-ID': a.workspace.id });

/** Creates an endpoint through the API; returns its answer's data (with the secret shown once). */
export async function createEndpoint(t: TestApp, a: Account, body: Record<string, unknown> = {}): Promise<{ id: string; secret: string; public_key: string | null; url: string } & Record<string, unknown>> {
  const res = await t.http().post('/api/v1/webhooks').set(a.auth).set(wsHeader(a)).send({ url: 'http://127.0.0.1:9/hook', events: ['post.*'], ...body });
  if (res.status !== 201) throw new Error(`create endpoint failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data;
}

export interface DeliveryRow {
  id: string;
  eventId: string;
}

/**
 * Writes an event and its delivery to `endpointId` straight into PostgreSQL, as the worker's relay
 * would, with the given state (the delivery engine is not needed to read or retry the log).
 */
export async function insertDelivery(
  t: TestApp,
  a: Account,
  endpointId: string,
  opts: { status?: string; attempts?: number; eventType?: string; createdAt?: Date; data?: Record<string, unknown>; lastStatusCode?: number | null; lastError?: string | null } = {},
): Promise<DeliveryRow> {
  const db = t.app.get(DataSource);
  const createdAt = opts.createdAt ?? new Date();
  const eventId = newId('evt', createdAt.getTime());
  const id = newId('dlv', createdAt.getTime());
  const type = opts.eventType ?? 'post.created';
  const status = opts.status ?? 'failed';
  await db.query(`INSERT INTO events (id, workspace_id, type, data, created_at, published_at) VALUES ($1, $2, $3, $4, $5, $5)`, [
    eventId, a.workspace.id, type, JSON.stringify(opts.data ?? { id: 'pst_x', title: 'Hello' }), createdAt,
  ]);
  await db.query(
    `INSERT INTO webhook_deliveries (id, workspace_id, endpoint_id, event_id, event_type, status, attempts, next_retry_at, last_status_code, last_error, created_at, updated_at, completed_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8, $9, $10, $10, $11)`,
    [id, a.workspace.id, endpointId, eventId, type, status, opts.attempts ?? (status === 'pending' ? 0 : 1), opts.lastStatusCode ?? (status === 'success' ? 200 : status === 'pending' ? null : 500),
      opts.lastError ?? null, createdAt, status === 'success' || status === 'failed' ? createdAt : null],
  );
  return { id, eventId };
}

/** Many failed deliveries (and their events) to one endpoint in two statements, created `createdAt`. */
export async function insertFailedDeliveries(t: TestApp, a: Account, endpointId: string, count: number, createdAt: Date): Promise<string[]> {
  const db = t.app.get(DataSource);
  const eventIds = Array.from({ length: count }, () => newId('evt', createdAt.getTime()));
  const ids = Array.from({ length: count }, () => newId('dlv', createdAt.getTime()));
  await db.query(`INSERT INTO events (id, workspace_id, type, data, created_at, published_at) SELECT e, $2, 'post.created', '{}', $3, $3 FROM unnest($1::text[]) AS e`, [eventIds, a.workspace.id, createdAt]);
  await db.query(
    `INSERT INTO webhook_deliveries (id, workspace_id, endpoint_id, event_id, event_type, status, attempts, last_status_code, created_at, updated_at, completed_at)
     SELECT d, $3, $4, e, 'post.created', 'failed', 8, 500, $5, $5, $5 FROM unnest($1::text[], $2::text[]) AS x(d, e)`,
    [ids, eventIds, a.workspace.id, endpointId, createdAt],
  );
  return ids;
}

export async function insertAttempt(t: TestApp, deliveryId: string, attempt: number, opts: { statusCode?: number | null; body?: string | null; durationMs?: number; error?: string | null; createdAt?: Date } = {}): Promise<void> {
  await t.app.get(DataSource).query(
    `INSERT INTO webhook_attempts (id, delivery_id, attempt, status_code, response_body, duration_ms, error, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [newId('att'), deliveryId, attempt, opts.statusCode === undefined ? 500 : opts.statusCode, opts.body ?? null, opts.durationMs ?? 12, opts.error ?? null, opts.createdAt ?? new Date()],
  );
}

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Receiver {
  url: string;
  received: ReceivedRequest[];
  /** What the next requests are answered with. */
  respond: (status: number, body?: string, delayMs?: number) => void;
  close(): Promise<void>;
}

/** A webhook receiver on loopback that records every request. */
export async function startReceiver(): Promise<Receiver> {
  const received: ReceivedRequest[] = [];
  let answer = { status: 200, body: 'ok', delayMs: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const { status, body, delayMs } = answer;
      setTimeout(() => res.writeHead(status, { 'content-type': 'text/plain' }).end(body), delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    respond: (status, body = '', delayMs = 0) => {
      answer = { status, body, delayMs };
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
