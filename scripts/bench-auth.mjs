// npm run bench:auth — API-key verifications per second through the AuthGuard (the real guard,
// its real services and cache, in process) against argon2id password verifications per second.
import { Reflector } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import { verify, hash, Algorithm } from '@node-rs/argon2';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { api, opsPerSecond, startApi, startServices } from './bench-env.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { AuthGuard } = await import(join(root, 'dist/src/modules/auth/auth.guard.js'));
const { SessionsService } = await import(join(root, 'dist/src/modules/auth/sessions.service.js'));
const { WorkspacesService } = await import(join(root, 'dist/src/modules/workspaces/workspaces.service.js'));
const { ApiKeysService } = await import(join(root, 'dist/src/modules/api-keys/api-keys.service.js'));
const { TokensService } = await import(join(root, 'dist/src/modules/tokens/tokens.service.js'));
const { WorkspaceUsersController } = await import(join(root, 'dist/src/modules/workspaces/workspace-users.controller.js'));
const { MeController } = await import(join(root, 'dist/src/modules/auth/me.controller.js'));

const services = await startServices();
const { app, base } = await startApi(services);
try {
  const email = `bench-${Date.now()}@example.test`;
  const reg = await api(base, 'POST', '/auth/register', { name: 'Bench', email, password: 'bench password' });
  const auth = { authorization: `Bearer ${reg.access_token}`, 'x-workspace-id': reg.workspace.id };
  const key = (await api(base, 'POST', '/api-keys', { name: 'bench', scopes: ['read'] }, auth)).key;

  const guard = new AuthGuard(app.get(Reflector), app.get(SessionsService), app.get(WorkspacesService), app.get(ApiKeysService), app.get(TokensService));
  const context = (controller, handler, headers) =>
    new ExecutionContextHost([{ method: 'GET', headers, params: {} }, {}, () => undefined], controller, controller.prototype[handler]);
  // A user-level route (GET /me, users:read): authentication and scopes only.
  const plain = () => guard.canActivate(context(MeController, 'get', { authorization: `Bearer ${key}` }));
  // A workspace route (GET /users): authentication, tenancy and scopes.
  const tenant = () => guard.canActivate(context(WorkspaceUsersController, 'list', { authorization: `Bearer ${key}` }));
  // Fail loudly rather than time a rejection.
  if ((await plain()) !== true || (await tenant()) !== true) throw new Error('the guard refused the benchmark key');

  const keyOps = await opsPerSecond(plain);
  const keyTenantOps = await opsPerSecond(tenant, 2000, 8);

  const params = { algorithm: Algorithm.Argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 };
  const passwordHash = await hash('bench password', params);
  const argonOps = await opsPerSecond(() => verify(passwordHash, 'bench password'), 3000);

  const fmt = (n) => Math.round(n).toLocaleString('en-US');
  console.log('bench:auth (one process; compare within one run)');
  console.log(`  API key through the guard, user-level route:      ${fmt(keyOps)} verifications/s (${(1e6 / keyOps).toFixed(1)} µs each)`);
  console.log(`  API key through the guard, workspace route:       ${fmt(keyTenantOps)} verifications/s (8 in flight; includes the tenancy lookup)`);
  console.log(`  argon2id password verification (19 MiB, t=2):     ${fmt(argonOps)} verifications/s (${(1000 / argonOps).toFixed(1)} ms each)`);
  console.log(`  ratio API key / argon2id:                          ${fmt(keyOps / argonOps)}×`);
} finally {
  await app.close();
  await services.stop();
}
