import { Injectable } from '@nestjs/common';
import { Database } from '@tessera/database';
import { McpServerEntity } from './mcp-server.entity';

export type McpServerPatch = Partial<Pick<McpServerEntity, 'name' | 'url' | 'description' | 'headersSealed' | 'headerNames'>>;

/** Registered MCP servers, always within one workspace. */
@Injectable()
export class McpServersRepository {
  constructor(private readonly db: Database) {}

  private repo() {
    return this.db.repository(McpServerEntity);
  }

  transaction<T>(work: () => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  find(workspaceId: string, id: string): Promise<McpServerEntity | null> {
    return this.repo().findOneBy({ workspaceId, id });
  }

  findByName(workspaceId: string, name: string): Promise<McpServerEntity | null> {
    return this.repo().findOneBy({ workspaceId, name });
  }

  /** Every server of the workspace (at most MAX_MCP_SERVERS), oldest first. */
  all(workspaceId: string): Promise<McpServerEntity[]> {
    return this.repo().find({ where: { workspaceId }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  count(workspaceId: string): Promise<number> {
    return this.repo().countBy({ workspaceId });
  }

  /** Holds the workspace row until the transaction ends: concurrent registrations count one after another. */
  async lockWorkspace(workspaceId: string): Promise<void> {
    await this.db.query(`SELECT 1 FROM workspaces WHERE id = $1 FOR UPDATE`, [workspaceId]);
  }

  async insert(server: McpServerEntity): Promise<void> {
    await this.repo().insert(server);
  }

  /**
   * Applies the patch if the server's url and sealed headers are still `expected` (as read when the
   * patch was decided); false when a concurrent change came first.
   */
  async update(workspaceId: string, id: string, patch: McpServerPatch, expected: Pick<McpServerEntity, 'url' | 'headersSealed'>): Promise<boolean> {
    const result = await this.repo().update({ workspaceId, id, url: expected.url, headersSealed: expected.headersSealed }, { ...patch, updatedAt: new Date() });
    return (result.affected ?? 0) === 1;
  }

  async delete(workspaceId: string, id: string): Promise<boolean> {
    return ((await this.repo().delete({ workspaceId, id })).affected ?? 0) === 1;
  }
}
