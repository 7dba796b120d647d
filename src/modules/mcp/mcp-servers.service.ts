import { Inject, Injectable } from '@nestjs/common';
import { ApiError, ErrorCode, isId, newId, seal, unseal, webhookUrlProblem } from '@tessera/common';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { McpServerEntity } from './mcp-server.entity';
import { MAX_MCP_SERVERS, MCP_SERVER_NAME } from './mcp-rules';
import { McpServerPatch, McpServersRepository } from './mcp-servers.repository';
import { RemoteServer } from './remote-mcp-client';

export interface McpServerInput {
  name: string;
  url: string;
  description?: string;
  headers?: Record<string, string>;
}

/**
 * The remote MCP servers a workspace registered: configuration, audited, never outbox events.
 * Their URLs follow the webhook rules (https, public addresses only, unless
 * WEBHOOKS_ALLOW_PRIVATE_URLS); their headers are sealed and never shown, only their names.
 */
@Injectable()
export class McpServersService {
  constructor(
    private readonly repo: McpServersRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  all(workspaceId: string): Promise<McpServerEntity[]> {
    return this.repo.all(workspaceId);
  }

  /** A server by its id (mcp_…) or its name; 404 for anything else, another workspace's included. */
  async get(workspaceId: string, ref: string): Promise<McpServerEntity> {
    const server = isId('mcp', ref) ? await this.repo.find(workspaceId, ref) : MCP_SERVER_NAME.test(ref) ? await this.repo.findByName(workspaceId, ref) : null;
    if (!server) throw ApiError.notFound('MCP server');
    return server;
  }

  async create(workspaceId: string, input: McpServerInput): Promise<McpServerEntity> {
    // DNS before the transaction: nothing slow while it holds a connection and the workspace lock.
    await this.assertUrl(input.url);
    return this.repo.transaction(async () => {
      await this.repo.lockWorkspace(workspaceId);
      const count = await this.repo.count(workspaceId);
      if (count >= MAX_MCP_SERVERS) {
        throw new ApiError(409, ErrorCode.CONFLICT, `A workspace has at most ${MAX_MCP_SERVERS} MCP servers; delete one to add another.`, { limit: MAX_MCP_SERVERS, current_usage: count });
      }
      await this.assertNameFree(workspaceId, input.name);
      const now = new Date();
      const id = newId('mcp');
      const headers = input.headers ?? {};
      const server = Object.assign(new McpServerEntity(), {
        id,
        workspaceId,
        name: input.name,
        url: input.url,
        description: input.description ?? '',
        ...this.sealHeaders(id, headers),
        createdAt: now,
        updatedAt: now,
      });
      await this.repo.insert(server);
      return server;
    });
  }

  /**
   * `headers`, when given, replaces every header. A URL on another origin needs its own headers
   * (`{}` for none): the stored ones, a credential typically, go only to the origin they were set
   * for, so whoever may change a server (any member) cannot point it at their own URL to collect them.
   */
  async update(workspaceId: string, ref: string, input: Partial<McpServerInput>): Promise<McpServerEntity> {
    const server = await this.get(workspaceId, ref);
    if (input.url != null) await this.assertUrl(input.url);
    if (input.url != null && input.headers == null && server.headerNames.length && new URL(input.url).origin !== new URL(server.url).origin) {
      throw ApiError.validation({ headers: ['must be given again (or {} for none) when url moves to another origin: the stored headers are only sent to the origin they were set for'] });
    }
    if (input.name != null && input.name !== server.name) await this.assertNameFree(workspaceId, input.name);
    const patch: McpServerPatch = {
      ...(input.name != null ? { name: input.name } : {}),
      ...(input.url != null ? { url: input.url } : {}),
      ...(input.description != null ? { description: input.description } : {}),
      ...(input.headers != null ? this.sealHeaders(server.id, input.headers) : {}),
    };
    // Only over the url and headers this was decided on: a member's url change racing an owner's new
    // headers must not pair the two (the owner's credential sent to the member's server).
    if (!(await this.repo.update(workspaceId, server.id, patch, server))) {
      await this.get(workspaceId, server.id); // 404 if it was deleted meanwhile
      throw ApiError.conflict('The MCP server was changed by another request meanwhile; read it again and retry.');
    }
    return this.get(workspaceId, server.id);
  }

  async delete(workspaceId: string, ref: string): Promise<void> {
    const server = await this.get(workspaceId, ref);
    if (!(await this.repo.delete(workspaceId, server.id))) throw ApiError.notFound('MCP server');
  }

  /** What the gateway's client needs to reach the server, its headers unsealed. */
  remote(server: McpServerEntity): RemoteServer {
    const headers = JSON.parse(unseal(this.config.encryptionKey, server.headersSealed, server.id).toString('utf8')) as Record<string, string>;
    return { id: server.id, name: server.name, url: server.url, headers };
  }

  /** The server id as associated data: sealed headers copied onto another server do not open. */
  private sealHeaders(id: string, headers: Record<string, string>): Pick<McpServerEntity, 'headersSealed' | 'headerNames'> {
    return { headersSealed: seal(this.config.encryptionKey, JSON.stringify(headers), id), headerNames: Object.keys(headers) };
  }

  private async assertUrl(url: string): Promise<void> {
    const problem = await webhookUrlProblem(url, { allowPrivate: this.config.webhooksAllowPrivateUrls });
    if (problem) throw ApiError.validation({ url: [problem] });
  }

  /** A friendly 409 for the common case; the unique index still decides a race (also 409). */
  private async assertNameFree(workspaceId: string, name: string): Promise<void> {
    if (await this.repo.findByName(workspaceId, name)) throw ApiError.conflict('An MCP server of this workspace already has this name.', { name: ['has already been taken'] });
  }
}
