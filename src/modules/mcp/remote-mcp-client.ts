import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  CallToolResult, CallToolResultSchema, ErrorCode as McpErrorCode, ListToolsResultSchema, McpError, ReadResourceResult, ReadResourceResultSchema, Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import { ApiError, blockedAddressOf, connectionTargetProblem, ErrorCode, pinnedAgent } from '@tessera/common';
import { Agent, fetch as undiciFetch, Response as UndiciResponse } from 'undici';
import { APP_CONFIG, AppConfig } from '../../config/config';

export const USER_AGENT = 'Tessera-MCP-Gateway/1';
/** The most one HTTP answer of a remote server may hold (a JSON body, or an SSE stream in all). */
export const MAX_REMOTE_ANSWER_BYTES = 2 * 1024 * 1024;
/** tools/list pages read from one server; past them the list is cut (and says so). */
const MAX_TOOL_PAGES = 10;
/** The most a server's tool list may hold in all (its tools as JSON); past it the list is cut (and says so). */
export const MAX_TOOL_LIST_BYTES = 1024 * 1024;
/** Calls to remote servers one API process runs at once: each may hold a connection for the whole timeout. */
export const MAX_REMOTE_CALLS_IN_FLIGHT = 64;

/** Where and how to reach a remote server. */
export interface RemoteServer {
  /** For messages: the server's id and name. */
  id: string;
  name: string;
  url: string;
  headers: Record<string, string>;
}

/** How long the answer may wait on a stateful remote acknowledging the end of its session. */
const TERMINATE_WAIT_MS = 2_000;

class AnswerTooLargeError extends Error {}
class DeadlineError extends Error {}

/** Resolves after `ms` without keeping the process alive. */
function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** An answer whose body stream fails past `limit` bytes, so no remote can make us buffer without end. */
function capped(res: UndiciResponse, limit: number): UndiciResponse {
  if (!res.body || [101, 204, 205, 304].includes(res.status)) return res;
  let size = 0;
  const body = res.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        size += chunk.byteLength;
        if (size > limit) controller.error(new AnswerTooLargeError(`the answer is larger than ${limit} bytes`));
        else controller.enqueue(chunk);
      },
    }),
  );
  return new UndiciResponse(body, { status: res.status, statusText: res.statusText, headers: res.headers });
}

/**
 * The MCP gateway's client of remote servers (Streamable HTTP), one short session per operation:
 * connect (initialize), ask, close. Every connection goes through the webhook URL rules' pinned
 * lookup (libs/common/pinned-http.ts): the address checked is the address connected to, with no
 * second DNS lookup; an IP-literal URL is checked before any connection. No redirect leaves the
 * origin, each answer is capped, and the whole operation ends within MCP_TIMEOUT_MS: after it, 504.
 */
@Injectable()
export class RemoteMcpClient implements OnApplicationShutdown {
  private readonly agent: Agent;
  private readonly allowPrivate: boolean;
  private readonly timeoutMs: number;
  private inFlight = 0;
  /** Shared by every session's Client (each would build its own Ajv); it compiles nothing here (see listTools). */
  private readonly validator = new AjvJsonSchemaValidator();

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.allowPrivate = config.webhooksAllowPrivateUrls;
    this.timeoutMs = config.mcpTimeoutMs;
    // One connection per call in flight at most (a session's requests go one after another).
    this.agent = pinnedAgent(this.allowPrivate, { connectTimeoutMs: Math.min(10_000, this.timeoutMs), keepAliveTimeout: 10_000, connections: MAX_REMOTE_CALLS_IN_FLIGHT });
  }

  /**
   * Every tool of the server (tools/list, page after page), in its order, up to MAX_TOOL_PAGES pages
   * and MAX_TOOL_LIST_BYTES in all: the list stops at the first tool past either.
   */
  listTools(server: RemoteServer): Promise<{ tools: Tool[]; truncated: boolean }> {
    return this.session(server, async (client, options) => {
      const tools: Tool[] = [];
      let bytes = 0;
      let cursor: string | undefined;
      for (let page = 0; page < MAX_TOOL_PAGES; page++) {
        // client.request, not client.listTools: that one compiles every outputSchema the remote sends.
        const result = await client.request({ method: 'tools/list', params: cursor ? { cursor } : {} }, ListToolsResultSchema, options);
        for (const tool of result.tools) {
          bytes += Buffer.byteLength(JSON.stringify(tool));
          if (bytes > MAX_TOOL_LIST_BYTES) return { tools, truncated: true };
          tools.push(tool);
        }
        cursor = result.nextCursor;
        if (!cursor) return { tools, truncated: false };
      }
      return { tools, truncated: true };
    });
  }

  callTool(server: RemoteServer, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
    return this.session(server, (client, options) => client.request({ method: 'tools/call', params: { name, arguments: args } }, CallToolResultSchema, options));
  }

  readResource(server: RemoteServer, uri: string): Promise<ReadResourceResult> {
    return this.session(server, (client, options) => client.request({ method: 'resources/read', params: { uri } }, ReadResourceResultSchema, options));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.agent.close();
  }

  private async session<T>(server: RemoteServer, work: (client: Client, options: { signal: AbortSignal; timeout: number }) => Promise<T>): Promise<T> {
    const url = new URL(server.url);
    const refused = connectionTargetProblem(url, this.allowPrivate);
    if (refused) throw badGateway(server, refused);
    if (this.inFlight >= MAX_REMOTE_CALLS_IN_FLIGHT) {
      throw new ApiError(429, ErrorCode.RATE_LIMITED, 'Too many MCP gateway calls are in flight; retry shortly.', { retry_after: 1 }, { 'Retry-After': '1' });
    }
    this.inFlight++;
    const deadline = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        deadline.abort(new DeadlineError());
        reject(new DeadlineError());
      }, this.timeoutMs);
    });
    const transport = new StreamableHTTPClientTransport(url, { fetch: this.fetchUntil(deadline.signal), requestInit: { headers: server.headers } });
    const client = new Client({ name: 'tessera-mcp-gateway', version: '1' }, { jsonSchemaValidator: this.validator });
    // The SDK's own request timeout a little later than ours, so that ours (504) is the one that ends it.
    const options = { signal: deadline.signal, timeout: this.timeoutMs + 1_000 };
    try {
      return await Promise.race([client.connect(transport, options).then(() => work(client, options)), expired]);
    } catch (err) {
      const timedOut = err instanceof DeadlineError || deadline.signal.aborted || (err instanceof McpError && err.code === McpErrorCode.RequestTimeout);
      throw timedOut ? gatewayTimeout(server, this.timeoutMs) : badGateway(server, describe(err));
    } finally {
      // A stateful remote is told its session is over (DELETE), for at most TERMINATE_WAIT_MS more.
      if (transport.sessionId && !deadline.signal.aborted) await Promise.race([transport.terminateSession(), expired, pause(TERMINATE_WAIT_MS)]).catch(() => undefined);
      clearTimeout(timer);
      this.inFlight--;
      await client.close().catch(() => undefined);
    }
  }

  /**
   * fetch through the pinned Agent: our user agent, no redirect followed by fetch itself, each
   * answer capped, aborted at the deadline. The SSE stream the SDK client opens with a GET after
   * initializing is answered 405 here, without asking the remote ("no stream offered", which the
   * client accepts): a one-call session has nobody to hand the remote's own messages to, and each
   * open stream would hold a connection of the pool until the session ends.
   */
  private fetchUntil(deadline: AbortSignal): FetchLike {
    return async (input, init) => {
      if ((init?.method ?? 'GET') === 'GET') return new Response(null, { status: 405 });
      const headers = { ...Object.fromEntries(new Headers(init?.headers)), 'user-agent': USER_AGENT };
      const signal = init?.signal ? AbortSignal.any([init.signal, deadline]) : deadline;
      const res = await undiciFetch(String(input), {
        method: init?.method,
        body: init?.body as string | undefined,
        headers,
        signal,
        redirect: 'manual',
        dispatcher: this.agent,
      });
      return capped(res, MAX_REMOTE_ANSWER_BYTES) as unknown as Response;
    };
  }
}

/** Why a remote call failed, in words fit for the caller: never a stack, at most 300 characters of the remote's own message. */
function describe(err: unknown): string {
  const blocked = blockedAddressOf(err);
  if (blocked) return `refused: ${blocked.message}`;
  if (err instanceof AnswerTooLargeError || (err as { cause?: unknown })?.cause instanceof AnswerTooLargeError) return `the answer is larger than ${MAX_REMOTE_ANSWER_BYTES} bytes`;
  if (err instanceof StreamableHTTPError) return `the server answered HTTP ${err.code ?? 'error'}`;
  if (err instanceof McpError) return `the server answered JSON-RPC error ${err.code}: ${err.message.replace(/^MCP error -?\d+: /, '').slice(0, 300)}`;
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e?.cause?.code ?? e?.code;
  if (typeof code === 'string' && /^E[A-Z_]+$/.test(code)) return `could not connect (${code})`;
  return `the exchange failed (${String(e?.cause?.message ?? e?.message ?? 'unknown error').slice(0, 300)})`;
}

function badGateway(server: RemoteServer, reason: string): ApiError {
  return new ApiError(502, ErrorCode.BAD_GATEWAY, `The MCP server "${server.name}" could not be used: ${reason}.`, { remote: { server: server.id, reason } });
}

function gatewayTimeout(server: RemoteServer, timeoutMs: number): ApiError {
  return new ApiError(504, ErrorCode.GATEWAY_TIMEOUT, `The MCP server "${server.name}" did not answer within ${timeoutMs} ms.`, { remote: { server: server.id }, timeout_ms: timeoutMs });
}
