import { randomBytes } from 'node:crypto';
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
export async function registerAccount(t: TestApp, overrides: { name?: string; email?: string; password?: string; workspace_name?: string } = {}): Promise<Account> {
  const password = overrides.password ?? 'correct horse battery';
  const body = { name: overrides.name ?? 'Test User', email: overrides.email ?? uniqueEmail(), password, ...(overrides.workspace_name ? { workspace_name: overrides.workspace_name } : {}) };
  const res = await t.http().post('/api/v1/auth/register').send(body);
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
  const d = res.body.data;
  return {
    user: d.user,
    workspace: d.workspace,
    password,
    accessToken: d.access_token,
    refreshToken: d.refresh_token,
    auth: { Authorization: `Bearer ${d.access_token}` },
  };
}

/** Registers an account and adds it to `workspaceId` with `role`, using the owner's credential. */
export async function addMember(t: TestApp, owner: Account, workspaceId: string, role: string): Promise<Account> {
  const member = await registerAccount(t, { name: `A ${role}` });
  const res = await t.http().post(`/api/v1/workspaces/${workspaceId}/members`).set(owner.auth).send({ email: member.user.email, role });
  if (res.status !== 201) throw new Error(`add member failed: ${res.status} ${JSON.stringify(res.body)}`);
  return member;
}
