import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { inject } from 'vitest';
import type { TestApp } from '../utils/app';

export interface Account {
  user: { id: string; name: string; email: string };
  workspace: { id: string; slug: string; name: string };
  password: string;
  accessToken: string;
  refreshToken: string;
  /** Authorization header for this account's access token. */
  auth: { Authorization: string };
}

export function uniqueEmail(tag = 'user'): string {
  return `${tag}-${randomBytes(6).toString('hex')}@example.test`;
}

/** Registers a new account with its own workspace: every test starts from its own data. */
/** With `tier`, the new workspace is moved to that plan (default: free, like a real sign-up). */
export async function registerAccount(t: TestApp, overrides: { name?: string; email?: string; password?: string; workspace_name?: string; tier?: string } = {}): Promise<Account> {
  const password = overrides.password ?? 'correct horse battery';
  const body = { name: overrides.name ?? 'Test User', email: overrides.email ?? uniqueEmail(), password, ...(overrides.workspace_name ? { workspace_name: overrides.workspace_name } : {}) };
  const tier = overrides.tier;
  const res = await t.http().post('/api/v1/auth/register').send(body);
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
  const d = res.body.data;
  if (tier) d.workspace = { ...d.workspace, ...(await setTier(t, d.workspace.id, tier)) };
  return {
    user: d.user,
    workspace: d.workspace,
    password,
    accessToken: d.access_token,
    refreshToken: d.refresh_token,
    auth: { Authorization: `Bearer ${d.access_token}` },
  };
}

/** Flags an account as a platform operator, as `npm run operator -- grant EMAIL` does. */
export async function makeOperator(account: Account): Promise<Account> {
  const db = new Client({ connectionString: inject('databaseUrl') });
  await db.connect();
  try {
    await db.query('UPDATE users SET is_operator = true WHERE id = $1', [account.user.id]);
  } finally {
    await db.end();
  }
  return account;
}

const operators = new WeakMap<TestApp, Promise<Account>>();

/** Moves a workspace to a tier the way a deployment does it: a platform operator sets it. */
export async function setTier(t: TestApp, workspaceId: string, tier: string): Promise<Record<string, unknown>> {
  if (!operators.has(t)) operators.set(t, registerAccount(t, { name: 'Platform Operator' }).then(makeOperator));
  const operator = await operators.get(t)!;
  const res = await t.http().patch(`/api/v1/admin/workspaces/${workspaceId}`).set(operator.auth).send({ tier });
  if (res.status !== 200) throw new Error(`tier change failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data;
}

/**
 * Registers an account and makes it a member of `workspaceId` with `role` the only way an existing
 * account joins: `inviter` invites it, then the account accepts its invitation.
 */
export async function addMember(t: TestApp, inviter: Account, workspaceId: string, role: string): Promise<Account> {
  const member = await registerAccount(t, { name: `A ${role}` });
  const invitation = await invite(t, inviter, workspaceId, member.user.email, role);
  const res = await t.http().post(`/api/v1/me/invitations/${invitation.id}/accept`).set(member.auth);
  if (res.status !== 200) throw new Error(`accept invitation failed: ${res.status} ${JSON.stringify(res.body)}`);
  return member;
}

/** Invites an existing account to `workspaceId`; returns the invitation. */
export async function invite(t: TestApp, inviter: Account, workspaceId: string, email: string, role: string): Promise<{ id: string; status: string; role: string }> {
  const res = await t.http().post(`/api/v1/workspaces/${workspaceId}/members`).set(inviter.auth).send({ email, role });
  if (res.status !== 201) throw new Error(`invite failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data;
}

/** Creates a workspace API key as `owner` in its workspace; returns the secret and the key's id. */
export async function createApiKey(t: TestApp, owner: Account, body: Record<string, unknown> = {}): Promise<{ id: string; key: string; auth: { Authorization: string } }> {
  const res = await t.http().post('/api/v1/api-keys').set(owner.auth).set('X-Workspace-ID', owner.workspace.id).send({ name: 'test key', ...body });
  if (res.status !== 201) throw new Error(`create key failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.data.id, key: res.body.data.key, auth: { Authorization: `Bearer ${res.body.data.key}` } };
}

/** Creates a personal access token for `account`. */
export async function createPat(t: TestApp, account: Account, body: Record<string, unknown>): Promise<{ id: string; token: string }> {
  const res = await t.http().post('/api/v1/me/tokens').set(account.auth).send({ name: 'test token', ...body });
  if (res.status !== 201) throw new Error(`create PAT failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.data.id, token: res.body.data.token };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns true or `timeoutMs` passes; returns the last result. */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 3000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
}

/** The text of the newest development-mailbox message to `email` that matches `match` (waits for the worker). */
export async function mailedText(t: TestApp, email: string, match: RegExp): Promise<string> {
  let text = '';
  const found = await eventually(async () => {
    const res = await t.http().get(`/api/v1/dev/mailbox?to=${encodeURIComponent(email)}`);
    text = ((res.body.data ?? []) as Array<{ text: string }>).map((m) => m.text).find((m) => match.test(m)) ?? '';
    return text !== '';
  }, 10_000);
  if (!found) throw new Error(`no mail to ${email} matching ${match}`);
  return text;
}

/** The password-reset token the worker mailed to `email`. */
export async function resetTokenFor(t: TestApp, email: string): Promise<string> {
  return /tsr_rst_[A-Za-z0-9_-]+/.exec(await mailedText(t, email, /tsr_rst_/))![0];
}
