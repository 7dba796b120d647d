import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { blockedAddressOf, connectionTargetProblem, pinnedAgent } from '@tessera/common';
import { Agent, errors } from 'undici';
import { APP_CONFIG, AppConfig } from '../../config/config';

export const USER_AGENT = 'Tessera-Webhooks/1';
/** How much of a receiver's answer is kept in the attempt log. */
export const RESPONSE_BODY_LIMIT = 4096;

export interface WebhookRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
}

export interface WebhookResponse {
  /** Null when no HTTP answer came (refused address, DNS, connection, timeout). */
  statusCode: number | null;
  /** The first 4 KB of the answer's body (UTF-8, lossy). */
  body: string | null;
  durationMs: number;
  /** Why no answer came, for the attempt log; never holds a secret. */
  error: string | null;
  /** Retry-After of a 429 or 503, in seconds (not capped here). */
  retryAfterSeconds: number | null;
}

/** Retry-After as seconds: delta-seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | null {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return null;
  if (/^\d+$/.test(v.trim())) return Number(v.trim());
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - now) / 1000));
}

/**
 * The HTTP client of webhook deliveries and test sends: one undici Agent, so connections to an
 * origin are kept alive and reused; every new connection goes through pinnedLookup; no redirect is
 * followed (a 3xx is an answer, and a failure); the whole exchange is bounded by the timeout and
 * only the first 4 KB of an answer is read.
 */
@Injectable()
export class WebhookHttpClient implements OnApplicationShutdown {
  private readonly allowPrivate: boolean;
  private readonly agent: Agent;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.allowPrivate = config.webhooksAllowPrivateUrls;
    this.agent = pinnedAgent(this.allowPrivate, {
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 120_000,
      // Each endpoint's max_in_flight bounds concurrency to it; this bounds one origin shared by many.
      connections: 128,
    });
  }

  async post(req: WebhookRequest): Promise<WebhookResponse> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      return { statusCode: null, body: null, durationMs: 0, error: 'invalid URL', retryAfterSeconds: null };
    }
    const refused = connectionTargetProblem(url, this.allowPrivate);
    if (refused) return { statusCode: null, body: null, durationMs: 0, error: refused, retryAfterSeconds: null };
    try {
      const res = await this.agent.request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: 'POST',
        headers: { ...req.headers, 'content-type': 'application/json', 'user-agent': USER_AGENT },
        body: req.body,
        headersTimeout: req.timeoutMs,
        bodyTimeout: req.timeoutMs,
        signal: AbortSignal.timeout(req.timeoutMs),
      });
      const body = await readCapped(res.body, RESPONSE_BODY_LIMIT);
      const retryAfter = res.statusCode === 429 || res.statusCode === 503 ? parseRetryAfter(res.headers['retry-after']) : null;
      return { statusCode: res.statusCode, body, durationMs: elapsed(), error: null, retryAfterSeconds: retryAfter };
    } catch (err) {
      return { statusCode: null, body: null, durationMs: elapsed(), error: describe(err, req.timeoutMs), retryAfterSeconds: null };
    }
  }

  /** The last shutdown phase: workers (closed in onModuleDestroy) may still be finishing their requests before it. */
  async onApplicationShutdown(): Promise<void> {
    await this.agent.close();
  }
}

async function readCapped(body: AsyncIterable<Buffer> & { destroy(): void }, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= limit) {
      body.destroy();
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, limit).toString('utf8');
}

function describe(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; code?: string; message?: string; cause?: { code?: string; message?: string } };
  const blocked = blockedAddressOf(err);
  if (blocked) return `refused: ${blocked.message}`;
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError' || err instanceof errors.HeadersTimeoutError || err instanceof errors.BodyTimeoutError) {
    return `timed out after ${timeoutMs} ms`;
  }
  if (err instanceof errors.ConnectTimeoutError) return 'connection timed out';
  const code = e?.code ?? e?.cause?.code;
  return code ? `connection failed (${code})` : `connection failed (${(e?.message ?? 'unknown error').slice(0, 200)})`;
}
