import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A remote MCP server (Streamable HTTP) a workspace calls through the gateway. */
@Entity('mcp_servers')
export class McpServerEntity {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'workspace_id' }) workspaceId: string;
  /** A lowercase slug, unique in its workspace; gateway calls may name the server by it. */
  @Column('text') name: string;
  @Column('text') url: string;
  @Column('text') description: string;
  /** seal(encryptionKey, JSON of the headers, id). Never presented, never logged. */
  @Column('text', { name: 'headers_sealed' }) headersSealed: string;
  /** The names of those headers, shown so a caller knows which are set. */
  @Column('text', { name: 'header_names', array: true }) headerNames: string[];
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
}
