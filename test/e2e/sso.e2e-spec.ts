import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Account, addMember, createPat, makeOperator, registerAccount } from '../factories/accounts';
import { Browser, IssuerApp, registerClient, RegisteredClient, startIssuerApp } from '../factories/oauth';
import { startTestApp } from '../utils/app';
import { isolatedStack, IsolatedStack } from '../utils/isolated-stack';
import { SoftwareAuthenticator } from '../utils/software-authenticator';

/**
 * SSO through an outside OpenID Connect provider. The outside provider is another Tessera — its
 * own OAuth provider at /oauth, on loopback — with its own database and Redis, so its accounts
 * are not the API's. The API (the relying party) allows loopback issuers (SSO_ALLOW_PRIVATE_ISSUERS).
 */
let stack: IsolatedStack;
let idp: IssuerApp;
let sp: IssuerApp;
let idpAdmin: Account;

beforeAll(async () => {
  stack = await isolatedStack();
  idp = await startIssuerApp(stack.env);
  // Started second: PUBLIC_URL is process-wide (configureHttp), and the API's redirect URIs are built from it.
  sp = await startIssuerApp({ SSO_ALLOW_PRIVATE_ISSUERS: 'true' });
  idpAdmin = await registerAccount(idp);
});
afterAll(async () => {
  await Promise.all([idp?.close(), sp?.close()]);
  await stack?.drop();
});

/** The outside provider vouches for this account's address (as a confirmed e-mail change would). */
async function verifyAtIdp(account: Account): Promise<void> {
  const db = new Client({ connectionString: stack.env.DATABASE_URL });
  await db.connect();
  try {
    await db.query('UPDATE users SET email_verified_at = now() WHERE id = $1', [account.user.id]);
  } finally {
    await db.end();
  }
}

interface Tenant {
  owner: Account;
  domain: string;
  client: RegisteredClient;
  slug: string;
}

/** A workspace of the API with SSO through the outside provider, for e-mails at a domain of its own. */
async function tenantWithSso(body: Record<string, unknown> = {}): Promise<Tenant> {
  const owner = await registerAccount(sp);
  const domain = `corp-${randomBytes(4).toString('hex')}.test`;
  const callback = `${sp.url}/api/v1/auth/sso/${owner.workspace.slug}/callback`;
  const client = await registerClient(idp, idpAdmin, { name: 'Tessera SSO', redirect_uris: [callback], scopes: ['users:read'] });
  const res = await sp.http().put(`/api/v1/workspaces/${owner.workspace.id}/sso-connection`).set(owner.auth).send({ issuer: idp.issuer, client_id: client.id, client_secret: client.secret, allowed_domains: [domain], default_role: 'member', ...body });
  if (res.status !== 200) throw new Error(`SSO setup failed: ${res.status} ${JSON.stringify(res.body)}`);
  expect(res.body.data.redirect_uri).toBe(callback);
  return { owner, domain, client, slug: owner.workspace.slug };
}

/** An account at the outside provider, with a verified address at `domain` unless told otherwise. */
async function idpUser(domain: string, verified = true): Promise<Account> {
  const user = await registerAccount(idp, { email: `user-${randomBytes(4).toString('hex')}@${domain}`, name: 'Ada Outside' });
  if (verified) await verifyAtIdp(user);
  return user;
}

interface Journey {
  sp: Browser;
  /** The provider's redirect back to the API, not followed yet. */
  callback: string;
}

/** A browser starts SSO at the API, signs in and consents at the provider, and is sent back. */
async function throughProvider(tenant: Tenant, who: Account): Promise<Journey> {
  const spBrowser = new Browser(sp.url);
  const start = await spBrowser.request(`/api/v1/auth/sso/${tenant.slug}`);
  expect(start.status).toBe(302);
  expect(start.headers.getSetCookie().join()).toMatch(/tessera_sso=.*HttpOnly; SameSite=Lax/);
  const toIdp = new URL(start.location!);
  expect(toIdp.origin + toIdp.pathname).toBe(`${idp.issuer}/auth`);
  expect(toIdp.searchParams.get('code_challenge_method')).toBe('S256');
  expect(toIdp.searchParams.get('state')).toBeTruthy();
  expect(toIdp.searchParams.get('nonce')).toBeTruthy();
  const idpBrowser = new Browser(idp.url);
  const signIn = await idpBrowser.follow(toIdp.href);
  const consentPage = await idpBrowser.submit(signIn, '/login', { email: who.user.email, password: who.password });
  const landed = await idpBrowser.submit(consentPage, '/confirm', { workspace: who.workspace.id });
  expect(landed.location).toMatch(new RegExp(`^${sp.url}/api/v1/auth/sso/${tenant.slug}/callback\\?`));
  return { sp: spBrowser, callback: landed.location! };
}

async function finish(journey: Journey): Promise<{ status: number; body: { code: string; message: string; data: { access_token: string; refresh_token: string; user: { id: string; email: string; name: string } } } }> {
  const res = await journey.sp.request(journey.callback);
  return { status: res.status, body: JSON.parse(res.html) };
}

describe('Sign-in [GET /auth/sso/{workspace_slug}, GET …/callback]', () => {
  it('creates the account of a verified address in an allowed domain, a member with the default role, bound to the workspace', async () => {
    const tenant = await tenantWithSso();
    const ada = await idpUser(tenant.domain);
    const done = await finish(await throughProvider(tenant, ada));
    expect(done.status).toBe(200);
    expect(done.body.data.user).toMatchObject({ email: ada.user.email, name: 'Ada Outside' });
    expect(done.body.data.user.id).not.toBe(ada.user.id); // an account of this API, not the provider's
    const auth = { Authorization: `Bearer ${done.body.data.access_token}` };
    // Bound to the workspace: no X-Workspace-ID needed, and no other workspace reachable.
    expect((await sp.http().get('/api/v1/posts').set(auth)).status).toBe(200);
    const members = await sp.http().get(`/api/v1/workspaces/${tenant.owner.workspace.id}/members`).set(tenant.owner.auth);
    expect(members.body.data).toContainEqual(expect.objectContaining({ user_id: done.body.data.user.id, role: 'member' }));
    const elsewhere = await sp.http().post('/api/v1/workspaces').set(auth).send({ name: 'Mine' });
    expect(elsewhere.status).toBe(403);
    const refreshed = await sp.http().post('/api/v1/auth/refresh').send({ refresh_token: done.body.data.refresh_token });
    expect(refreshed.status).toBe(200);
  });

  it('links an existing account with that address, and the identity signs in as it from then on', async () => {
    const tenant = await tenantWithSso();
    const ada = await idpUser(tenant.domain);
    const existing = await registerAccount(sp, { email: ada.user.email, name: 'Ada Here' });
    const first = await finish(await throughProvider(tenant, ada));
    expect(first.status).toBe(200);
    expect(first.body.data.user).toMatchObject({ id: existing.user.id, name: 'Ada Here' });
    // The session is bound to the SSO workspace: the account's own workspace is out of its reach.
    const own = await sp.http().get('/api/v1/posts').set({ Authorization: `Bearer ${first.body.data.access_token}` }).set('X-Workspace-ID', existing.workspace.id);
    expect(own.status).toBe(403);
    const again = await finish(await throughProvider(tenant, ada));
    expect(again.body.data.user.id).toBe(existing.user.id);
  });

  it('a sign-in through SSO stays in its workspace: it registers no passkey, which would sign the account in everywhere (403)', async () => {
    const tenant = await tenantWithSso();
    const ada = await idpUser(tenant.domain);
    const existing = await registerAccount(sp, { email: ada.user.email, name: 'Ada Here' });
    const done = await finish(await throughProvider(tenant, ada));
    expect(done.body.data.user.id).toBe(existing.user.id);
    const auth = { Authorization: `Bearer ${done.body.data.access_token}` };
    const options = await sp.http().post('/api/v1/me/passkeys/registration-options').set(auth);
    expect(options.status).toBe(403);
    // Nor does it finish a registration the account's own sign-in started, or remove the account's passkeys.
    const authenticator = new SoftwareAuthenticator(sp.url);
    const own = await sp.http().post('/api/v1/me/passkeys/registration-options').set(existing.auth);
    expect((await sp.http().post('/api/v1/me/passkeys').set(auth).send({ response: authenticator.create(own.body.data) })).status).toBe(403);
    const kept = await sp.http().post('/api/v1/me/passkeys').set(existing.auth).send({ response: authenticator.create((await sp.http().post('/api/v1/me/passkeys/registration-options').set(existing.auth)).body.data) });
    expect(kept.status).toBe(201);
    expect((await sp.http().delete(`/api/v1/me/passkeys/${kept.body.data.id}`).set(auth)).status).toBe(403);
    expect((await sp.http().get('/api/v1/me/passkeys').set(existing.auth)).body.data).toHaveLength(1);
  });

  it("a sign-in through SSO does not change how the account signs in elsewhere: no TOTP turned on, no sessions listed or ended (403)", async () => {
    const tenant = await tenantWithSso();
    const ada = await idpUser(tenant.domain);
    const existing = await registerAccount(sp, { email: ada.user.email, name: 'Ada Here' });
    const elsewhere = await sp.http().post('/api/v1/auth/login').send({ email: existing.user.email, password: existing.password, session: true });
    expect(elsewhere.status).toBe(200);
    const done = await finish(await throughProvider(tenant, ada));
    const auth = { Authorization: `Bearer ${done.body.data.access_token}` };
    // TOTP turned on by the workspace's provider would lock the account's owner out of every other sign-in.
    expect((await sp.http().post('/api/v1/me/mfa/totp').set(auth)).status).toBe(403);
    expect((await sp.http().post('/api/v1/me/mfa/totp/verify').set(auth).send({ code: '123456' })).status).toBe(403);
    expect((await sp.http().get('/api/v1/me/sessions').set(auth)).status).toBe(403);
    expect((await sp.http().delete('/api/v1/me/sessions').set(auth)).status).toBe(403);
    expect((await sp.http().delete(`/api/v1/me/sessions/${elsewhere.body.data.session.id}`).set(auth)).status).toBe(403);
    expect((await sp.http().get('/api/v1/me/mfa').set(existing.auth)).body.data.totp_enabled).toBe(false);
    expect((await sp.http().get('/api/v1/me/sessions').set(existing.auth)).body.data.map((s: { id: string }) => s.id)).toEqual([elsewhere.body.data.session.id]);
  });

  it('refuses an address the provider did not verify, and one outside the allowed domains (403)', async () => {
    const tenant = await tenantWithSso();
    const unverified = await finish(await throughProvider(tenant, await idpUser(tenant.domain, false)));
    expect(unverified.status).toBe(403);
    expect(unverified.body.message).toMatch(/verified e-mail/);
    const outsider = await finish(await throughProvider(tenant, await idpUser(`other-${randomBytes(3).toString('hex')}.test`)));
    expect(outsider.status).toBe(403);
  });

  it('never signs in as a platform operator', async () => {
    const tenant = await tenantWithSso();
    const ada = await idpUser(tenant.domain);
    await makeOperator(await registerAccount(sp, { email: ada.user.email }));
    const res = await finish(await throughProvider(tenant, ada));
    expect(res.status).toBe(403);
  });

  it('a state is used once, only by the browser that started the sign-in', async () => {
    const tenant = await tenantWithSso();
    const ada = await idpUser(tenant.domain);
    const journey = await throughProvider(tenant, ada);
    const stranger = await new Browser(sp.url).request(journey.callback);
    expect(stranger.status).toBe(401);
    // The stranger's attempt spent the state: the right browser cannot use it any more either.
    expect((await finish(journey)).status).toBe(401);
    const replayed = await throughProvider(tenant, ada);
    expect((await finish(replayed)).status).toBe(200);
    const twice = await finish(replayed);
    expect(twice.status).toBe(401);
    expect(twice.body.message).toMatch(/expired or was already used/);
  });

  it("a code from someone else's sign-in fails in mine (PKCE), and a forged state is refused", async () => {
    const tenant = await tenantWithSso();
    const victim = await throughProvider(tenant, await idpUser(tenant.domain));
    const victimCode = new URL(victim.callback).searchParams.get('code')!;
    const attacker = await throughProvider(tenant, await idpUser(tenant.domain));
    const injected = new URL(attacker.callback);
    injected.searchParams.set('code', victimCode);
    const res = await finish({ sp: attacker.sp, callback: injected.href });
    expect(res.status).toBe(401);
    const forged = new URL(victim.callback);
    forged.searchParams.set('state', 'forged');
    expect((await finish({ sp: victim.sp, callback: forged.href })).status).toBe(401);
    expect((await finish({ sp: victim.sp, callback: `${sp.url}/api/v1/auth/sso/${tenant.slug}/callback` })).status).toBe(401);
  });

  it('a user who denies at the provider gets 401, and an unknown workspace or one without SSO 404', async () => {
    const tenant = await tenantWithSso();
    const ada = await idpUser(tenant.domain);
    const spBrowser = new Browser(sp.url);
    const start = await spBrowser.request(`/api/v1/auth/sso/${tenant.slug}`);
    const idpBrowser = new Browser(idp.url);
    const signIn = await idpBrowser.follow(start.location!);
    const consentPage = await idpBrowser.submit(signIn, '/login', { email: ada.user.email, password: ada.password });
    const denied = await idpBrowser.submit(consentPage, '/abort');
    expect(new URL(denied.location!).searchParams.get('error')).toBe('access_denied');
    expect((await finish({ sp: spBrowser, callback: denied.location! })).status).toBe(401);

    expect((await sp.http().get('/api/v1/auth/sso/no-such-workspace')).status).toBe(404);
    const plain = await registerAccount(sp);
    const none = await sp.http().get(`/api/v1/auth/sso/${plain.workspace.slug}`);
    expect(none.status).toBe(404);
    expect(none.body).toMatchObject({ success: false, code: 'NOT_FOUND' });
    expect((await sp.http().get(`/api/v1/auth/sso/${'x'.repeat(300)}`)).status).toBe(404);
  });

  it('a burst of 60 sign-in starts: every one answers, none 5xx', async () => {
    const tenant = await tenantWithSso();
    const answers = await Promise.all(Array.from({ length: 60 }, () => sp.http().get(`/api/v1/auth/sso/${tenant.slug}`)));
    expect(answers.map((r) => r.status).filter((s) => s !== 302)).toEqual([]);
  });
});

describe('Connection [GET/PUT/DELETE /workspaces/{id}/sso-connection]', () => {
  it('shows no secret; an owner replaces and removes it; then sign-in is 404', async () => {
    const tenant = await tenantWithSso();
    const got = await sp.http().get(`/api/v1/workspaces/${tenant.owner.workspace.id}/sso-connection`).set(tenant.owner.auth);
    expect(got.status).toBe(200);
    expect(got.body.data).toMatchObject({ issuer: idp.issuer, client_id: tenant.client.id, allowed_domains: [tenant.domain], default_role: 'member' });
    expect(JSON.stringify(got.body)).not.toContain(tenant.client.secret);
    // The stored secret is kept when the owner leaves it out.
    const viewer = await sp.http().put(`/api/v1/workspaces/${tenant.owner.workspace.id}/sso-connection`).set(tenant.owner.auth).send({ issuer: idp.issuer, client_id: tenant.client.id, allowed_domains: [tenant.domain], default_role: 'viewer' });
    expect(viewer.status).toBe(200);
    const ada = await idpUser(tenant.domain);
    const done = await finish(await throughProvider(tenant, ada));
    const members = await sp.http().get(`/api/v1/workspaces/${tenant.owner.workspace.id}/members`).set(tenant.owner.auth);
    expect(members.body.data).toContainEqual(expect.objectContaining({ user_id: done.body.data.user.id, role: 'viewer' }));
    expect((await sp.http().delete(`/api/v1/workspaces/${tenant.owner.workspace.id}/sso-connection`).set(tenant.owner.auth)).status).toBe(204);
    expect((await sp.http().get(`/api/v1/auth/sso/${tenant.slug}`)).status).toBe(404);
    expect((await sp.http().get(`/api/v1/workspaces/${tenant.owner.workspace.id}/sso-connection`).set(tenant.owner.auth)).status).toBe(404);
  });

  it('keeps the stored secret only for the same issuer: another issuer needs its own secret (422), so the secret never reaches it', async () => {
    const tenant = await tenantWithSso();
    const url = `/api/v1/workspaces/${tenant.owner.workspace.id}/sso-connection`;
    // Another owner (or a credential of one) points the connection at a provider of their own, leaving the secret out.
    const moved = await sp.http().put(url).set(tenant.owner.auth).send({ issuer: sp.issuer, client_id: tenant.client.id, allowed_domains: [tenant.domain], default_role: 'member' });
    expect(moved.status).toBe(422);
    expect(moved.body.meta.errors.client_secret).toBeDefined();
    expect((await sp.http().get(url).set(tenant.owner.auth)).body.data.issuer).toBe(idp.issuer);
    const withSecret = await sp.http().put(url).set(tenant.owner.auth).send({ issuer: sp.issuer, client_id: tenant.client.id, client_secret: 'the new provider\'s own', allowed_domains: [tenant.domain], default_role: 'member' });
    expect(withSecret.status).toBe(200);
  });

  it('only owners configure it, never with a role past their own or owner; other workspaces see 404', async () => {
    const tenant = await tenantWithSso();
    const url = `/api/v1/workspaces/${tenant.owner.workspace.id}/sso-connection`;
    const body = { issuer: idp.issuer, client_id: tenant.client.id, client_secret: tenant.client.secret, allowed_domains: [tenant.domain], default_role: 'member' };
    const admin = await addMember(sp, tenant.owner, tenant.owner.workspace.id, 'admin');
    expect((await sp.http().put(url).set(admin.auth).send(body)).status).toBe(403);
    expect((await sp.http().delete(url).set(admin.auth)).status).toBe(403);
    const narrow = await createPat(sp, tenant.owner, { scopes: ['workspaces:write'] });
    const past = await sp.http().put(url).set('X-Api-Key', narrow.token).send(body);
    expect(past.status).toBe(403);
    expect(past.body.meta.required_scopes).toEqual(expect.arrayContaining(['posts:write']));
    expect((await sp.http().put(url).set(tenant.owner.auth).send({ ...body, default_role: 'owner' })).status).toBe(422);
    expect((await sp.http().put(url).set(tenant.owner.auth).send({ ...body, default_role: 'role_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8' })).status).toBe(422);
    const outsider = await registerAccount(sp);
    expect((await sp.http().get(url).set(outsider.auth)).status).toBe(404);
    expect((await sp.http().put(url).set(outsider.auth).send(body)).status).toBe(404);
  });

  it('refuses hostile input and an issuer that serves no discovery document (422), never a 500', async () => {
    const tenant = await tenantWithSso();
    const url = `/api/v1/workspaces/${tenant.owner.workspace.id}/sso-connection`;
    const body = { issuer: idp.issuer, client_id: tenant.client.id, client_secret: tenant.client.secret, allowed_domains: [tenant.domain], default_role: 'member' };
    const cases: Array<Record<string, unknown>> = [
      { ...body, issuer: 'not a url' },
      { ...body, issuer: `${idp.url}/nothing-here` },
      { ...body, issuer: 'http://127.0.0.1:1' },
      { ...body, issuer: `${idp.issuer}?x=1` },
      { ...body, client_id: 'a\u0000b' },
      { ...body, client_secret: 'x'.repeat(5000) },
      { ...body, allowed_domains: ['*.corp.test'] },
      { ...body, allowed_domains: Array.from({ length: 21 }, (_, i) => `d${i}.test`) },
      { ...body, allowed_domains: 'corp.test' },
      { ...body, default_role: 42 },
      { ...body, extra: true },
    ];
    for (const c of cases) {
      const res = await sp.http().put(url).set(tenant.owner.auth).send(c);
      expect(res.status, JSON.stringify(c).slice(0, 100)).toBe(422);
      expect(res.body.success).toBe(false);
    }
    const fresh = await registerAccount(sp);
    const noSecret = await sp.http().put(`/api/v1/workspaces/${fresh.workspace.id}/sso-connection`).set(fresh.auth).send({ ...body, client_secret: undefined });
    expect(noSecret.status).toBe(422);
    expect(noSecret.body.meta.errors.client_secret).toBeDefined();
  });

  it('in a deployment without SSO_ALLOW_PRIVATE_ISSUERS, an http or loopback issuer is refused', async () => {
    const strict = await startTestApp();
    try {
      const owner = await registerAccount(strict);
      const res = await strict.http().put(`/api/v1/workspaces/${owner.workspace.id}/sso-connection`).set(owner.auth).send({ issuer: idp.issuer, client_id: 'x', client_secret: 'y', allowed_domains: ['corp.test'], default_role: 'member' });
      expect(res.status).toBe(422);
      expect(res.body.meta.errors.issuer.join(' ')).toMatch(/https/);
      const loopback = await strict.http().put(`/api/v1/workspaces/${owner.workspace.id}/sso-connection`).set(owner.auth).send({ issuer: 'https://127.0.0.1:8443', client_id: 'x', client_secret: 'y', allowed_domains: ['corp.test'], default_role: 'member' });
      expect(loopback.status).toBe(422);
      expect(loopback.body.meta.errors.issuer.join(' ')).toMatch(/public addresses/);
    } finally {
      await strict.close();
    }
  });
});
