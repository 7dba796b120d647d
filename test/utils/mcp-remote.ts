import { randomUUID } from 'node:crypto';
import { createServer, IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

/** The files of the remote's read_file tool: in memory, never the disk of the machine running the tests. */
export const REMOTE_FILES: Record<string, string> = { '/path/to/file.txt': 'File contents here...' };

export interface McpRemote {
  /** Its Streamable HTTP endpoint, on 127.0.0.1. */
  url: string;
  /** Headers of every HTTP request it received, in order. */
  requests: Array<{ method: string; headers: IncomingHttpHeaders }>;
  /** tools/call requests it received, by tool name. */
  calls: string[];
  /** Stateful mode: the sessions open now. */
  sessions: Map<string, StreamableHTTPServerTransport>;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        resolve(text ? JSON.parse(text) : undefined);
      } catch (err) {
        reject(err);
      }
    });
    req.on('error', reject);
  });
}

/**
 * A second MCP server for the gateway to call, on loopback, built with the SDK (Streamable HTTP,
 * stateless unless `stateful`, then with sessions it keeps in memory): read_file (in-memory files,
 * the seed's example), echo, hang (never answers) and a resource memo://notes/1.
 */
export async function startMcpRemote(options: { stateful?: boolean } = {}): Promise<McpRemote> {
  const requests: McpRemote['requests'] = [];
  const calls: string[] = [];
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const build = () => {
    const server = new McpServer({ name: 'remote-test', version: '1' });
    server.registerTool('read_file', { description: 'Read contents of a file', inputSchema: { path: z.string() } }, ({ path }) => {
      calls.push('read_file');
      const content = REMOTE_FILES[path];
      if (content === undefined) return { isError: true, content: [{ type: 'text', text: `no such file: ${path}` }] };
      return { content: [{ type: 'text', text: content }], structuredContent: { content, size: Buffer.byteLength(content) } };
    });
    server.registerTool('echo', { description: 'Echo the message', inputSchema: { message: z.string() } }, ({ message }) => {
      calls.push('echo');
      return { content: [{ type: 'text', text: message }] };
    });
    server.registerTool('hang', { description: 'Never answers' }, () => {
      calls.push('hang');
      return new Promise<never>(() => undefined);
    });
    server.registerResource('note', 'memo://notes/1', { mimeType: 'text/plain' }, (uri) => ({ contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'a remote note' }] }));
    return server;
  };
  const http: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    requests.push({ method: req.method ?? '', headers: req.headers });
    void (async () => {
      const body = req.method === 'POST' ? await readBody(req) : undefined;
      const known = sessions.get(String(req.headers['mcp-session-id']));
      if (known) return known.handleRequest(req, res, body);
      const server = build();
      const transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: options.stateful ? randomUUID : undefined,
        enableJsonResponse: true,
        onsessioninitialized: (id) => void sessions.set(id, transport),
        onsessionclosed: (id) => void sessions.delete(id),
      });
      if (!options.stateful) res.on('close', () => void server.close());
      await server.connect(transport);
      await transport.handleRequest(req, res, body);
    })().catch(() => res.writeHead(500).end());
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    requests,
    calls,
    sessions,
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}

/** An HTTP server that accepts every request and never answers it. */
export async function startHangingServer(): Promise<{ url: string; hits: number; close(): Promise<void> }> {
  const state = { hits: 0 };
  const http = createServer(() => {
    state.hits++;
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    get hits() {
      return state.hits;
    },
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}
