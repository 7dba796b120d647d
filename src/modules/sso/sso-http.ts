import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { connectionTargetProblem, pinnedAgent } from '@tessera/common';
import { Agent } from 'undici';
import { APP_CONFIG, AppConfig } from '../../config/config';

/** One exchange with an identity provider, connection to last byte. */
export const SSO_HTTP_TIMEOUT_MS = 10_000;
/** A discovery document, a JWKS or a token answer larger than this is no answer. */
export const SSO_RESPONSE_LIMIT_BYTES = 1024 * 1024;

/** A request body as openid-client makes them (form parameters, a string, bytes). */
function bodyOf(body: unknown): string | Buffer | undefined {
  if (body == null) return undefined;
  if (typeof body === 'string') return body;
  if (body instanceof URLSearchParams) return body.toString();
  if (body instanceof ArrayBuffer || body instanceof Uint8Array) return Buffer.from(body as Uint8Array);
  throw new TypeError('unsupported request body');
}

/** The provider could not be reached or answered nonsense: a network failure, not a sign-in refusal. */
export class SsoProviderUnreachable extends Error {}

interface FetchOptions {
  method?: string;
  headers?: Record<string, string> | Headers;
  body?: unknown;
  signal?: AbortSignal | null;
}

/**
 * How the API talks to a workspace's identity provider (openid-client's customFetch): the
 * issuer is chosen by a tenant, so every request is pinned to the public addresses it resolved
 * to (the webhooks' rule, SSO_ALLOW_PRIVATE_ISSUERS lifts it for development), https only,
 * follows no redirect, ends within 10 s and reads at most 1 MiB.
 */
@Injectable()
export class SsoHttp implements OnApplicationShutdown {
  readonly allowPrivate: boolean;
  private readonly agent: Agent;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.allowPrivate = config.ssoAllowPrivateIssuers;
    this.agent = pinnedAgent(this.allowPrivate, { connectTimeoutMs: SSO_HTTP_TIMEOUT_MS, keepAliveTimeout: 10_000 });
  }

  readonly fetch = async (url: string, options: FetchOptions = {}): Promise<Response> => {
    const target = new URL(url);
    const problem = connectionTargetProblem(target, this.allowPrivate);
    if (problem) throw new SsoProviderUnreachable(`${problem} (${target.origin})`);
    const headers = options.headers instanceof Headers ? Object.fromEntries(options.headers.entries()) : (options.headers ?? {});
    const signal = options.signal ? AbortSignal.any([options.signal, AbortSignal.timeout(SSO_HTTP_TIMEOUT_MS)]) : AbortSignal.timeout(SSO_HTTP_TIMEOUT_MS);
    try {
      const res = await this.agent.request({
        origin: target.origin,
        path: `${target.pathname}${target.search}`,
        method: (options.method ?? 'GET') as 'GET',
        headers,
        body: bodyOf(options.body),
        headersTimeout: SSO_HTTP_TIMEOUT_MS,
        bodyTimeout: SSO_HTTP_TIMEOUT_MS,
        signal,
      });
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > SSO_RESPONSE_LIMIT_BYTES) {
          res.body.destroy();
          throw new SsoProviderUnreachable(`the identity provider's answer is larger than ${SSO_RESPONSE_LIMIT_BYTES} bytes`);
        }
        chunks.push(chunk);
      }
      const answerHeaders = new Headers();
      for (const [name, value] of Object.entries(res.headers)) {
        for (const v of ([] as string[]).concat(value ?? [])) answerHeaders.append(name, v);
      }
      const empty = [101, 204, 205, 304].includes(res.statusCode);
      return new Response(empty ? null : Buffer.concat(chunks, size), { status: res.statusCode, headers: answerHeaders });
    } catch (err) {
      if (err instanceof SsoProviderUnreachable) throw err;
      throw new SsoProviderUnreachable(`the identity provider at ${target.origin} did not answer (${(err as Error).message})`);
    }
  };

  async onApplicationShutdown(): Promise<void> {
    await this.agent.close();
  }
}
