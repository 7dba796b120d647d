import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { ApiError } from '@tessera/common';
import { REDIS } from '@tessera/queue';
import Redis from 'ioredis';
import { z } from 'zod';
import { AuditService } from '../audit/audit.service';
import { auditToolCall, McpCaller } from './mcp-caller';
import { McpServerEntity } from './mcp-server.entity';
import { BUILT_IN_SERVER } from './mcp-rules';
import { McpServersService } from './mcp-servers.service';
import { McpServerDto, McpToolDto, presentMcpServer, ResourceContentsDto, ToolCallResultDto } from './mcp.presenter';
import { RemoteMcpClient } from './remote-mcp-client';
import { TesseraResources } from './tessera-resources';
import { SERVER_INSTRUCTIONS } from './tessera-mcp-server';
import { TesseraTool, TesseraTools } from './tessera-tools';

/** How long a remote server's tool list is kept in Redis before it is asked again. */
export const TOOLS_CACHE_SECONDS = 60;
/** A tool list longer than this (as JSON) is not kept in Redis: it is asked live each time. */
export const MAX_CACHED_TOOLS_BYTES = 256 * 1024;

function presentRemoteTool(t: Tool): McpToolDto {
  return {
    name: t.name,
    title: t.title ?? t.annotations?.title ?? null,
    description: t.description ?? null,
    input_schema: t.inputSchema,
    annotations: t.annotations ?? null,
    required_scopes: null,
  };
}

function presentTesseraTool(t: TesseraTool): McpToolDto {
  return {
    name: t.name,
    title: t.title,
    description: t.description,
    // As the SDK shows it on /mcp (tools/list): draft-07, the arguments as a client writes them.
    input_schema: z.toJSONSchema(t.input, { target: 'draft-7', io: 'input' }) as Record<string, unknown>,
    annotations: { title: t.title, readOnlyHint: t.readOnly, destructiveHint: false, openWorldHint: false },
    required_scopes: t.scopes,
  };
}

/**
 * The MCP gateway: the built-in server (Tessera's own tools and records, called in process) and
 * the remote servers a workspace registered (called over Streamable HTTP through
 * RemoteMcpClient), behind one set of routes. No database connection is held while a remote
 * answers. Every tool call writes one audit row, whatever its outcome.
 */
@Injectable()
export class McpGatewayService {
  private readonly logger = new Logger(McpGatewayService.name);
  private readonly tesseraTools: McpToolDto[];

  constructor(
    private readonly servers: McpServersService,
    private readonly tools: TesseraTools,
    private readonly resources: TesseraResources,
    private readonly remote: RemoteMcpClient,
    private readonly audit: AuditService,
    @Inject(REDIS) private readonly redis: Redis,
  ) {
    this.tesseraTools = tools.all.map(presentTesseraTool);
  }

  /** The built-in server first, then the workspace's servers, oldest first. */
  async list(workspaceId: string, baseUrl: string): Promise<McpServerDto[]> {
    const servers = await this.servers.all(workspaceId);
    const cached = await this.cachedTools(servers);
    return [this.builtIn(baseUrl), ...servers.map((s, i) => presentMcpServer(s, cached[i]?.map((t) => t.name) ?? null))];
  }

  async get(workspaceId: string, ref: string, baseUrl: string): Promise<McpServerDto> {
    if (ref === BUILT_IN_SERVER) return this.builtIn(baseUrl);
    const server = await this.servers.get(workspaceId, ref);
    const [cached] = await this.cachedTools([server]);
    return presentMcpServer(server, cached?.map((t) => t.name) ?? null);
  }

  /** A server's tools: the built-in ones, or a remote server's from Redis (60 s) or else asked live. */
  async listTools(workspaceId: string, ref: string): Promise<McpToolDto[]> {
    if (ref === BUILT_IN_SERVER) return this.tesseraTools;
    const server = await this.servers.get(workspaceId, ref);
    const [cached] = await this.cachedTools([server]);
    if (cached) return cached;
    const { tools } = await this.remote.listTools(this.servers.remote(server));
    const presented = tools.map(presentRemoteTool);
    const kept = JSON.stringify({ version: versionOf(server), tools: presented });
    if (Buffer.byteLength(kept) <= MAX_CACHED_TOOLS_BYTES) {
      await this.redis.set(toolsKey(server), kept, 'EX', TOOLS_CACHE_SECONDS).catch((err: unknown) => this.logger.warn({ err }, 'MCP tool list not cached'));
    }
    return presented;
  }

  async callTool(caller: McpCaller, ref: string, name: string, args: Record<string, unknown> | undefined): Promise<ToolCallResultDto> {
    if (ref === BUILT_IN_SERVER) {
      const tool = this.tools.find(name);
      if (!tool) throw ApiError.notFound('Tool');
      const data = await this.tools.call(caller, tool, this.tools.parseArguments(tool, args));
      return { server: BUILT_IN_SERVER, tool: tool.name, result: { content: [{ type: 'text', text: JSON.stringify(data) }], structuredContent: data } };
    }
    const server = await this.servers.get(caller.workspace.id, ref);
    const started = performance.now();
    try {
      const result = await this.remote.callTool(this.servers.remote(server), name, args ?? {});
      auditToolCall(this.audit, caller, { server: server.id, tool: name, outcome: result.isError ? 'tool_error' : 'ok', durationMs: performance.now() - started });
      return { server: server.id, tool: name, result };
    } catch (err) {
      const code = err instanceof ApiError ? err.code : 'INTERNAL_ERROR';
      auditToolCall(this.audit, caller, { server: server.id, tool: name, outcome: code === 'GATEWAY_TIMEOUT' ? 'timeout' : 'failed', durationMs: performance.now() - started, errorCode: code });
      throw err;
    }
  }

  async readResource(caller: McpCaller, ref: string, uri: string): Promise<ResourceContentsDto> {
    if (ref === BUILT_IN_SERVER) return { server: BUILT_IN_SERVER, uri, contents: [{ ...(await this.resources.read(caller, uri)) }] };
    const server = await this.servers.get(caller.workspace.id, ref);
    const result = await this.remote.readResource(this.servers.remote(server), uri);
    return { server: server.id, uri, contents: result.contents };
  }

  private builtIn(baseUrl: string): McpServerDto {
    return {
      id: BUILT_IN_SERVER,
      name: BUILT_IN_SERVER,
      description: SERVER_INSTRUCTIONS,
      url: `${baseUrl}/mcp`,
      built_in: true,
      header_names: [],
      tools: this.tesseraTools.map((t) => t.name),
      created_at: null,
      updated_at: null,
    };
  }

  /** The cached tool lists of these servers (null where none); Redis unavailable counts as none. */
  private async cachedTools(servers: McpServerEntity[]): Promise<Array<McpToolDto[] | null>> {
    if (!servers.length) return [];
    try {
      const values = await this.redis.mget(...servers.map(toolsKey));
      return values.map((v, i) => {
        const cached = v ? (JSON.parse(v) as { version?: string; tools?: McpToolDto[] }) : null;
        return cached?.version === versionOf(servers[i]) && cached.tools ? cached.tools : null;
      });
    } catch {
      return servers.map(() => null);
    }
  }
}

/**
 * One key per server, however often it changes (Redis holds at most one list per server); the list
 * carries the server's version, so a changed URL or header is asked afresh at once.
 */
function toolsKey(server: McpServerEntity): string {
  return `tessera:mcp:tools:${server.id}`;
}

/**
 * Its last change, and a digest of what the list was asked with (the URL, the sealed headers, sealed
 * afresh at each change): updated_at alone is milliseconds of an API process's clock, and two
 * changes in one millisecond would let the list of the URL before pass for the new one's.
 */
function versionOf(server: McpServerEntity): string {
  const asked = createHash('sha256').update(server.url).update('\n').update(server.headersSealed).digest('base64url');
  return `${server.updatedAt.getTime()}:${asked}`;
}
