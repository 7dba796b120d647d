import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { DataSource } from 'typeorm';
import type { TestApp } from '../utils/app';
import { type Account, eventually } from './accounts';

/** The SDK's own client, connected (initialize) to the app's /mcp with these request headers. */
export async function mcpClient(t: TestApp, headers: Record<string, string>): Promise<Client> {
  const client = new Client({ name: 'tessera-test', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${t.url}/mcp`), { requestInit: { headers } }));
  return client;
}

/** Registers a remote MCP server through the API as `a`; returns its answer's data. */
export async function registerServer(t: TestApp, a: Account, body: Record<string, unknown>): Promise<{ id: string; name: string } & Record<string, unknown>> {
  const res = await t.http().post('/api/v1/mcp/servers').set(a.auth).set('X-Workspace-ID', a.workspace.id).send(body);
  if (res.status !== 201) throw new Error(`register MCP server failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data;
}

/** A raw JSON-RPC POST to /mcp, as any Streamable HTTP client sends it. */
export function rpc(t: TestApp, auth: Record<string, string>, message: unknown) {
  return t.http().post('/mcp').set(auth).set('Accept', 'application/json, text/event-stream').set('Content-Type', 'application/json').send(message as object);
}

export interface ToolAuditRow {
  action: string;
  actor_id: string | null;
  target_type: string;
  target_id: string;
  metadata: { tool: string; outcome: string; duration_ms: number; error_code?: string };
}

/** The MCP tool-call audit rows of a workspace (written without holding up the answer: waits for `count`). */
export async function toolAuditRows(t: TestApp, workspaceId: string, count: number): Promise<ToolAuditRow[]> {
  const db = t.app.get(DataSource);
  let rows: ToolAuditRow[] = [];
  await eventually(async () => {
    rows = await db.query(
      `SELECT action, actor_id, target_type, target_id, metadata FROM audit_logs WHERE workspace_id = $1 AND action LIKE 'mcp.tool.%' ORDER BY created_at, id`,
      [workspaceId],
    );
    return rows.length >= count;
  }, 5000);
  return rows;
}
