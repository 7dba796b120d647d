import { MigrationInterface, QueryRunner } from 'typeorm';

export class McpServers1765200000000 implements MigrationInterface {
  name = 'McpServers1765200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      -- Remote MCP servers (Streamable HTTP) a workspace reaches through the gateway. The headers
      -- sent to one (credentials, typically) are sealed as one JSON object (AES-256-GCM with
      -- ENCRYPTION_KEY, the server id as associated data); only their names are kept in clear, to
      -- show. The name is unique in the workspace and may stand for the id in gateway calls;
      -- "tessera" is the built-in server's and is refused here.
      CREATE TABLE mcp_servers (
        id              text PRIMARY KEY,
        workspace_id    text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        name            text NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,39}$' AND name <> 'tessera'),
        url             text NOT NULL,
        description     text NOT NULL DEFAULT '',
        headers_sealed  text NOT NULL,
        header_names    text[] NOT NULL DEFAULT '{}',
        created_at      timestamptz(3) NOT NULL DEFAULT now(),
        updated_at      timestamptz(3) NOT NULL DEFAULT now(),
        UNIQUE (workspace_id, name)
      );
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE mcp_servers;`);
  }
}
