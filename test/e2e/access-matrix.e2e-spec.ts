import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Account, createApiKey, registerAccount } from '../factories/accounts';
import { startTestApp, TestApp } from '../utils/app';

/**
 * Every workspace route, read from the OpenAPI document so a new route cannot slip past:
 * (a) no credential → 401, (b) a member of another workspace → 404, (c) a credential without the
 * route's scope → 403. None of them leaks data.
 */
let t: TestApp;
let target: Account;
let outsider: Account;
const keys: Record<string, { Authorization: string }> = {};

interface Operation {
  method: string;
  path: string;
  scopes: string[];
  viaHeader: boolean;
}

let operations: Operation[] = [];
/** Platform operators' routes (x-operator-only): to anyone else they do not exist. */
let operatorOperations: Array<{ method: string; path: string }> = [];

beforeAll(async () => {
  t = await startTestApp();
  target = await registerAccount(t);
  outsider = await registerAccount(t);
  // Two narrow keys in the target workspace: each route is tried with one that lacks its scope.
  keys['audit:read'] = (await createApiKey(t, target, { scopes: ['audit:read'] })).auth;
  keys['seo:read'] = (await createApiKey(t, target, { scopes: ['seo:read'] })).auth;
  const doc = (await t.http().get('/docs/openapi.json')).body as {
    paths: Record<string, Record<string, { parameters?: Array<{ name: string; in: string }>; 'x-required-scopes'?: string[]; 'x-operator-only'?: boolean }>>;
  };
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      if (op['x-operator-only']) operatorOperations.push({ method, path });
      const viaHeader = (op.parameters ?? []).some((p) => p.name === 'X-Workspace-ID' && p.in === 'header');
      // /organizations is the Interna seed's alias of /workspaces: swept like the routes it aliases.
      const viaPath = path.startsWith('/api/v1/workspaces/{id}') || path.startsWith('/api/v1/organizations/{id}');
      if (viaHeader || viaPath) operations.push({ method, path, scopes: op['x-required-scopes'] ?? [], viaHeader });
    }
  }
});
afterAll(async () => {
  await t?.close();
});

function url(op: Operation): string {
  return op.path
    .replace(/\/(workspaces|organizations)\/\{id\}/, `/$1/${target.workspace.id}`)
    .replace('{user_id}', outsider.user.id)
    .replace(/\{[a-z_]+\}/g, 'xyz_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8');
}

function call(op: Operation) {
  const http = t.http();
  const m = op.method as 'get' | 'post' | 'put' | 'patch' | 'delete';
  const req = http[m](url(op));
  if (op.viaHeader) req.set('X-Workspace-ID', target.workspace.id);
  return req;
}

describe('Access matrix over every workspace route', () => {
  it('covers the workspace routes', () => {
    expect(operations.length).toBeGreaterThanOrEqual(50);
    // Webhooks (issue 8): the delivery log, retry, replay, test sends, secret rotation and inbound sources.
    expect(operations.map((o) => `${o.method} ${o.path}`)).toEqual(
      expect.arrayContaining([
        'get /api/v1/webhooks/{id}/deliveries',
        'get /api/v1/webhooks/{id}/deliveries/{delivery_id}',
        'post /api/v1/webhooks/{id}/deliveries/{delivery_id}/retry',
        'post /api/v1/webhooks/{id}/replay',
        'post /api/v1/webhooks/{id}/test',
        'post /api/v1/webhooks/{id}/rotate-secret',
        'get /api/v1/webhooks/inbound-sources',
        'post /api/v1/webhooks/inbound-sources',
        'get /api/v1/webhooks/inbound-sources/{id}',
        'patch /api/v1/webhooks/inbound-sources/{id}',
        'delete /api/v1/webhooks/inbound-sources/{id}',
      ]),
    );
    // MCP (issue 10): the server at /mcp and the gateway.
    expect(operations.map((o) => `${o.method} ${o.path}`)).toEqual(
      expect.arrayContaining([
        'post /mcp',
        'get /mcp',
        'delete /mcp',
        'get /api/v1/mcp/servers',
        'post /api/v1/mcp/servers',
        'get /api/v1/mcp/servers/{id}',
        'patch /api/v1/mcp/servers/{id}',
        'delete /api/v1/mcp/servers/{id}',
        'get /api/v1/mcp/servers/{id}/tools',
        'post /api/v1/mcp/tools/call',
        'get /api/v1/mcp/resources/{uri}',
      ]),
    );
  });

  it('(a) no credential → 401', async () => {
    for (const op of operations) {
      const res = await call(op).send({});
      expect(res.status, `${op.method} ${op.path}`).toBe(401);
      expect(res.body.data).toBeNull();
    }
  });

  it('(b) a credential of another workspace → 404', async () => {
    for (const op of operations) {
      const res = await call(op).set(outsider.auth).send({});
      expect(res.status, `${op.method} ${op.path}`).toBe(404);
      expect(res.body).toMatchObject({ code: 'NOT_FOUND', data: null });
    }
  });

  it("(c) a credential without the route's scope → 403 naming it", async () => {
    for (const op of operations) {
      const key = op.scopes.includes('audit:read') ? keys['seo:read'] : keys['audit:read'];
      const res = await call(op).set(key).send({});
      expect(res.status, `${op.method} ${op.path}`).toBe(403);
      expect(res.body.data).toBeNull();
      expect(res.body.meta.required_scopes.length, `${op.method} ${op.path}`).toBeGreaterThan(0);
      for (const s of res.body.meta.required_scopes) expect(op.scopes).toContain(s);
    }
  });
});

describe('Access matrix over every operator route', () => {
  it('covers the operator routes, the queues dashboard session among them', () => {
    expect(operatorOperations.map((o) => `${o.method} ${o.path}`)).toEqual(
      expect.arrayContaining(['get /api/v1/admin/workspaces', 'post /api/v1/admin/queues/session', 'delete /api/v1/admin/queues/session']),
    );
  });

  it('no credential, a workspace owner, an API key → 404 as for a route that does not exist', async () => {
    const ownerKey = keys['audit:read'];
    for (const op of operatorOperations) {
      const path = op.path.replace('{id}', target.workspace.id).replace(/\{[a-z_]+\}/g, 'posts');
      for (const [who, headers] of [['no credential', {}], ['owner', target.auth], ['API key', ownerKey]] as const) {
        const res = await t.http()[op.method as 'get' | 'post' | 'put' | 'patch' | 'delete'](path).set(headers).send({});
        expect(res.status, `${who} ${op.method} ${op.path}`).toBe(404);
        expect(res.body).toMatchObject({ code: 'NOT_FOUND', data: null });
        expect(res.headers['set-cookie'], `${who} ${op.method} ${op.path}`).toBeUndefined();
      }
    }
  });
});
