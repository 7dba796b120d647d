import { CallHandler, ExecutionContext, Injectable, NestInterceptor, StreamableFile } from '@nestjs/common';
import { HttpAdapterHost, Reflector } from '@nestjs/core';
import { map, Observable } from 'rxjs';
import { MESSAGE_METADATA, routeStatus } from './returns.decorator';
import { Page, Pagination } from './envelope';
import { publicBaseUrl, RequestLike } from './http';


/** The scheme and authority of an absolute-form request target. */
const ABSOLUTE_FORM_ORIGIN = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/;

/** Wraps every successful JSON answer in the contract's envelope (API.md, "Envelope"). */
@Injectable()
export class EnvelopeInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const handler = context.getHandler();
    const req = context.switchToHttp().getRequest<RequestLike>();
    const status = routeStatus(this.reflector, handler, req.method);
    const message = this.messageOf(handler, status);
    return next.handle().pipe(map((result: unknown) => this.answer(req, status, message, result)));
  }

  /** The envelope's `message` for a route: its @Returns text, else the status's default. */
  messageOf(handler: Function, status: number): string {
    return this.reflector.get<string>(MESSAGE_METADATA, handler) ?? (status === 201 ? 'Created.' : 'OK.');
  }

  /** What a route's successful answer `result` is sent as: the envelope around it. */
  answer(req: RequestLike, status: number, message: string, result: unknown): unknown {
    if (status === 204) return undefined;
    // A binary answer (the pixel's GIF) is sent as it is.
    if (result instanceof StreamableFile) return result;
    const meta: Record<string, unknown> = { request_id: req.id, timestamp: new Date().toISOString() };
    const body: Record<string, unknown> = {
      success: true,
      status,
      code: status === 201 ? 'CREATED' : 'OK',
      message,
      data: result ?? null,
      meta,
    };
    if (result instanceof Page) {
      body.data = result.fields ? result.items.map((item) => pick(item, result.fields!)) : result.items;
      meta.pagination = result.pagination;
      body.links = this.links(req, result.pagination);
    }
    return body;
  }

  private links(req: RequestLike, p: Pagination): Record<string, string | null> {
    // Parsed once; each link only re-serialises the query (as URL.searchParams would). Only the
    // target's path and query count: an absolute-form request line (GET http://host/… HTTP/1.1)
    // names no origin of ours, and its host may not even parse.
    const target = this.adapterHost.httpAdapter.getRequestUrl(req).replace(ABSOLUTE_FORM_ORIGIN, '').replace(/^\/*/, '/');
    const url = new URL(target, publicBaseUrl(req));
    const prefix = `${url.origin}${url.pathname}?`;
    const query = url.search;
    const at = (params: Record<string, string | number>) => {
      const search = new URLSearchParams(query);
      for (const k in params) search.set(k, String(params[k]));
      return prefix + search.toString();
    };
    if ('current_page' in p) {
      return {
        first: at({ page: 1 }),
        last: at({ page: p.last_page }),
        prev: p.current_page > 1 ? at({ page: Math.min(p.current_page - 1, p.last_page) }) : null,
        next: p.current_page < p.last_page ? at({ page: p.current_page + 1 }) : null,
      };
    }
    if ('next_cursor' in p) return { next: p.next_cursor ? at({ cursor: p.next_cursor }) : null };
    return {
      first: at({ offset: 0 }),
      prev: p.offset > 0 ? at({ offset: Math.max(0, p.offset - p.limit) }) : null,
      next: p.offset + p.limit < p.total ? at({ offset: p.offset + p.limit }) : null,
    };
  }
}

function pick(item: unknown, fields: string[]): unknown {
  if (item === null || typeof item !== 'object') return item;
  const source = item as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const f of fields) if (f in source) out[f] = source[f];
  return out;
}
