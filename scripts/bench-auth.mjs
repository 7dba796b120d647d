// npm run bench:auth — credential verifications per second through the AuthGuard (the real guard,
// its real services and caches, taken from the running app, in process): an API key, a browser
// session cookie (a read, and a write with its Origin and CSRF checks), against a TOTP code check
// (HMAC-SHA1 over the window) and an argon2id password verification.
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import { verify, hash, Algorithm } from '@node-rs/argon2';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { api, opsPerSecond, startApi, startServices } from './bench-env.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { AuthGuard } = await import(join(root, 'dist/src/modules/auth/auth.guard.js'));
const { WorkspaceUsersController } = await import(join(root, 'dist/src/modules/workspaces/workspace-users.controller.js'));
const { MeController } = await import(join(root, 'dist/src/modules/accounts/me.controller.js'));
const { matchTotp, newTotpSecret, totpCode } = await import(join(root, 'dist/src/modules/mfa/totp.js'));

const services = await startServices();
const { app, base } = await startApi(services);
try {
  const email = `bench-${Date.now()}@example.test`;
  const reg = await api(base, 'POST', '/auth/register', { name: 'Bench', email, password: 'bench password' });
  const auth = { authorization: `Bearer ${reg.access_token}`, 'x-workspace-id': reg.workspace.id };
  const key = (await api(base, 'POST', '/api-keys', { name: 'bench', scopes: ['read'] }, auth)).key;
  const login = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: 'bench password', session: true }) });
  const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const csrf = (await login.json()).data.csrf_token;

  const guard = app.get(AuthGuard);
  const context = (controller, handler, req) => new ExecutionContextHost([{ params: {}, ...req }, {}, () => undefined], controller, controller.prototype[handler]);
  // A user-level route (GET /me, users:read): authentication and scopes only.
  const keyPlain = () => guard.canActivate(context(MeController, 'get', { method: 'GET', headers: { authorization: `Bearer ${key}` } }));
  // A workspace route (GET /users): authentication, tenancy and scopes.
  const keyTenant = () => guard.canActivate(context(WorkspaceUsersController, 'list', { method: 'GET', headers: { authorization: `Bearer ${key}` } }));
  const cookieRead = () => guard.canActivate(context(MeController, 'get', { method: 'GET', headers: { cookie } }));
  // A write (PATCH /me) with the cookie: the Origin and double-submit CSRF checks too.
  const cookieWrite = () => guard.canActivate(context(MeController, 'update', { method: 'PATCH', headers: { cookie, origin: base, host: base.slice('http://'.length), 'x-csrf-token': csrf } }));
  // Fail loudly rather than time a rejection.
  for (const check of [keyPlain, keyTenant, cookieRead, cookieWrite]) if ((await check()) !== true) throw new Error('the guard refused a benchmark credential');

  const keyOps = await opsPerSecond(keyPlain);
  const keyTenantOps = await opsPerSecond(keyTenant, 2000, 8);
  const cookieReadOps = await opsPerSecond(cookieRead);
  const cookieWriteOps = await opsPerSecond(cookieWrite);

  const secret = newTotpSecret();
  let now = Date.now();
  const totpOps = await opsPerSecond(async () => {
    now += 1;
    if (matchTotp(secret, totpCode(secret, now), now) === null) throw new Error('TOTP mismatch');
  });

  const params = { algorithm: Algorithm.Argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 };
  const passwordHash = await hash('bench password', params);
  const argonOps = await opsPerSecond(() => verify(passwordHash, 'bench password'), 3000);

  const fmt = (n) => Math.round(n).toLocaleString('en-US');
  const us = (n) => `${(1e6 / n).toFixed(1)} µs each`;
  console.log('bench:auth (one process; compare within one run)');
  console.log(`  API key through the guard, user-level route:      ${fmt(keyOps)} verifications/s (${us(keyOps)})`);
  console.log(`  API key through the guard, workspace route:       ${fmt(keyTenantOps)} verifications/s (8 in flight; includes the tenancy lookup)`);
  console.log(`  session cookie through the guard, a read:         ${fmt(cookieReadOps)} verifications/s (${us(cookieReadOps)})`);
  console.log(`  session cookie through the guard, a write:        ${fmt(cookieWriteOps)} verifications/s (${us(cookieWriteOps)}; with the Origin and CSRF checks)`);
  console.log(`  TOTP code check (3 steps of HMAC-SHA1):           ${fmt(totpOps)} checks/s (${us(totpOps)})`);
  console.log(`  argon2id password verification (19 MiB, t=2):     ${fmt(argonOps)} verifications/s (${(1000 / argonOps).toFixed(1)} ms each)`);
  console.log(`  ratio API key / argon2id:                          ${fmt(keyOps / argonOps)}×`);
  console.log(`  ratio session cookie (read) / argon2id:            ${fmt(cookieReadOps / argonOps)}×`);
} finally {
  await app.close();
  await services.stop();
}
