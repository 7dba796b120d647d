import { CallHandler, ExecutionContext, HttpException, Inject, Injectable, Logger, NestInterceptor } from '@nestjs/common';
import { HttpAdapterHost, Reflector } from '@nestjs/core';
import { createHash } from 'node:crypto';
import Redis from 'ioredis';
import { catchError, from, mergeMap, Observable, tap, throwError } from 'rxjs';
import { ApiError, ApiExceptionFilter, callerRequestId, ErrorCode, header, ReplayedResponse, RequestLike, routeStatus, seal, unseal } from '@tessera/common';
import { REDIS } from '@tessera/queue';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { AuthenticatedRequest } from '../auth/principal';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const TTL_SECONDS = 24 * 3600;
/** How long a claim on a key holds while its first request runs (a crashed process frees it). */
const LOCK_SECONDS = 60;
/**
 * The largest answer kept for replay (its JSON). A larger one is not kept, but the key stays
 * claimed by a marker: replaying it answers 409 CONFLICT instead of running the request twice.
 */
export const MAX_STORED_BYTES = 64 * 1024;

type IdemRequest = RequestLike & AuthenticatedRequest & { body?: unknown; socket?: { remoteAddress?: string } };

interface Stored {
  state: 'processing' | 'done' | 'too_large';
  fingerprint: string;
  status?: number;
  body?: unknown;
}

/** JSON with object keys sorted, so {"a":1,"b":2} and {"b":2,"a":1} are the same request. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value as object).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/**
 * Idempotency-Key (API.md, "Idempotency"): per credential, for 24 hours, the same key and request
 * answer the first response again, a different request with the key is refused, and a request
 * still running holds the key. 5xx answers are not kept, so the caller may retry.
 *
 * Kept answers hold secrets (tokens, new API keys, PATs): Redis only sees them sealed with
 * AES-256-GCM under ENCRYPTION_KEY, bound to their Redis key. The workspace is part of the
 * request, so one key sent to two workspaces is two requests (422 for the second).
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  private readonly logger = new Logger(IdempotencyInterceptor.name);

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly reflector: Reflector,
    private readonly adapterHost: HttpAdapterHost,
    private readonly errors: ApiExceptionFilter,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<IdemRequest>();
    if (context.getType() !== 'http' || !MUTATING.has(req.method)) return next.handle();
    // Only for a caller that authenticated: without a credential the only owner would be the
    // client address, which callers behind one NAT or proxy share, and public routes (login,
    // refresh) answer with secrets that one of them must never replay to another.
    if (!req.principal) return next.handle();
    // Seed 000 documents X-Request-Id as the key for safe retries: without Idempotency-Key, a
    // write's own (sane) X-Request-Id plays its part, with the same rules and the same store.
    const key = header(req, 'idempotency-key') ?? callerRequestId(req.headers);
    if (key === undefined) return next.handle();
    if (key.length < 1 || key.length > 255) {
      throw ApiError.badRequest('Idempotency-Key must be 1 to 255 characters.', { 'Idempotency-Key': ['must be 1 to 255 characters'] });
    }
    const p = req.principal;
    // A token exchanged from a key or PAT is a credential of its own: it never replays the key's answers (new secrets among them).
    const owner = `${p.kind}${p.exchanged ? '-exchanged' : ''}:${p.credentialId}`;
    const redisKey = `tessera:idem:${owner}:${createHash('sha256').update(key).digest('hex')}`;
    const path = this.adapterHost.httpAdapter.getRequestUrl(req);
    // The resolved workspace when the route has one, else the header as sent.
    const workspace = p?.workspace?.id ?? header(req, 'x-workspace-id')?.trim() ?? '';
    const fingerprint = createHash('sha256').update(`${req.method} ${path} ${workspace} ${canonicalJson(req.body ?? null)}`).digest('hex');
    const status = routeStatus(this.reflector, context.getHandler(), req.method);

    return from(this.claim(redisKey, fingerprint)).pipe(
      mergeMap((claimed) => {
        if (claimed === 'unavailable') return next.handle();
        if (claimed !== 'claimed') return throwError(() => this.answerFor(claimed, fingerprint));
        return next.handle().pipe(
          tap((body) => void this.store(redisKey, { state: 'done', fingerprint, status, body: body ?? null })),
          catchError((err: unknown) => {
            const answer = err instanceof HttpException ? this.errors.answer(err, req) : null;
            if (!answer || answer.status >= 500) {
              void this.redis.del(redisKey).catch(() => undefined);
              return throwError(() => err);
            }
            // Rendered once, so the answer sent now and the one replayed later are the same bytes.
            void this.store(redisKey, { state: 'done', fingerprint, status: answer.status, body: answer.body });
            return throwError(() => new ReplayedResponse(answer.status, answer.body, answer.headers));
          }),
        );
      }),
    );
  }

  /** Claims the key for this request, or returns what is already stored under it. */
  private async claim(redisKey: string, fingerprint: string): Promise<'claimed' | 'unavailable' | Stored> {
    try {
      const processing = this.sealed(redisKey, { state: 'processing', fingerprint });
      const claimed = await this.redis.set(redisKey, processing, 'EX', LOCK_SECONDS, 'NX');
      if (claimed === 'OK') return 'claimed';
      const existing = await this.redis.get(redisKey);
      // Gone between SET and GET (expired or released after a 5xx): try once more.
      if (!existing) return (await this.redis.set(redisKey, processing, 'EX', LOCK_SECONDS, 'NX')) === 'OK' ? 'claimed' : 'unavailable';
      return this.opened(redisKey, existing);
    } catch (err) {
      this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'Idempotency-Key not checked: Redis unavailable');
      return 'unavailable';
    }
  }

  private answerFor(stored: Stored, fingerprint: string): Error {
    if (stored.fingerprint !== fingerprint) {
      return new ApiError(422, ErrorCode.IDEMPOTENCY_KEY_REUSED, 'This Idempotency-Key was used for a different request (method, path or body).');
    }
    if (stored.state === 'too_large') {
      return ApiError.conflict(`The first answer to this Idempotency-Key was larger than ${MAX_STORED_BYTES / 1024} KiB and was not kept; the request was not run again. Read the result with a GET.`);
    }
    if (stored.state === 'processing') {
      return new ApiError(409, ErrorCode.IDEMPOTENCY_IN_PROGRESS, 'A request with this Idempotency-Key is still being processed; retry shortly.', {}, { 'Retry-After': '1' });
    }
    return new ReplayedResponse(stored.status ?? 200, stored.body, { 'Idempotent-Replayed': 'true' });
  }

  private async store(redisKey: string, value: Stored): Promise<void> {
    let json = JSON.stringify(value);
    if (Buffer.byteLength(json) > MAX_STORED_BYTES) json = JSON.stringify({ state: 'too_large', fingerprint: value.fingerprint, status: value.status } satisfies Stored);
    await this.redis
      .set(redisKey, seal(this.config.encryptionKey, json, redisKey), 'EX', TTL_SECONDS)
      .catch((err: unknown) => this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'idempotent answer not stored'));
  }

  private sealed(redisKey: string, value: Stored): string {
    return seal(this.config.encryptionKey, JSON.stringify(value), redisKey);
  }

  /**
   * What is kept under the key. A value that does not open (sealed under an earlier
   * ENCRYPTION_KEY, or altered) is treated like Redis being away: the request runs unguarded,
   * which is what already happens without Redis.
   */
  private opened(redisKey: string, value: string): Stored | 'unavailable' {
    try {
      return JSON.parse(unseal(this.config.encryptionKey, value, redisKey).toString('utf8')) as Stored;
    } catch {
      this.logger.warn('Idempotency-Key not checked: the kept answer does not decrypt with ENCRYPTION_KEY');
      return 'unavailable';
    }
  }
}

