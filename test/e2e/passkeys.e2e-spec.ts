import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Account, createApiKey, createPat, registerAccount } from '../factories/accounts';
import { browserFrom, setCookies } from '../factories/sessions';
import { startTestApp, TestApp } from '../utils/app';
import { SoftwareAuthenticator } from '../utils/software-authenticator';

/** The page's origin: passkeys (and the session cookie's writes) are accepted from it. */
const ORIGIN = 'http://localhost:4000';
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ PUBLIC_URL: ORIGIN });
});
afterAll(async () => {
  await t?.close();
});

/** Registers a passkey for `a` on `authenticator`, as a browser does; returns the passkey. */
async function registerPasskey(a: Account, authenticator: SoftwareAuthenticator, name = 'Laptop'): Promise<{ id: string; credential_id: string }> {
  const options = await t.http().post('/api/v1/me/passkeys/registration-options').set(a.auth);
  expect(options.status).toBe(200);
  const res = await t.http().post('/api/v1/me/passkeys').set(a.auth).send({ name, response: authenticator.create(options.body.data) });
  expect(res.status).toBe(201);
  return res.body.data;
}

async function signInOptions(): Promise<{ challenge: string; rpId: string }> {
  const res = await t.http().post('/api/v1/auth/passkeys/options');
  expect(res.status).toBe(200);
  return res.body.data;
}

describe('Register a passkey [POST /me/passkeys/registration-options, POST /me/passkeys]', () => {
  it('asks for a discoverable, user-verified credential and keeps the verified one', async () => {
    const a = await registerAccount(t);
    const options = await t.http().post('/api/v1/me/passkeys/registration-options').set(a.auth);
    expect(options.body.data).toMatchObject({
      challenge: expect.any(String),
      rp: { id: 'localhost', name: 'Tessera' },
      user: { name: a.user.email, id: Buffer.from(a.user.id).toString('base64url') },
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
    });
    const authenticator = new SoftwareAuthenticator(ORIGIN);
    const response = authenticator.create(options.body.data);
    const res = await t.http().post('/api/v1/me/passkeys').set(a.auth).send({ name: 'Laptop', response });
    expect(res.status).toBe(201);
    expect(res.body.data).toMatchObject({ id: expect.stringMatching(/^pky_/), name: 'Laptop', credential_id: response.id, transports: ['internal'], last_used_at: null });
    // The challenge worked once.
    expect((await t.http().post('/api/v1/me/passkeys').set(a.auth).send({ response })).status).toBe(422);
    const list = await t.http().get('/api/v1/me/passkeys').set(a.auth);
    expect(list.body.data.map((p: { id: string }) => p.id)).toEqual([res.body.data.id]);
    // The next options exclude it.
    const next = await t.http().post('/api/v1/me/passkeys/registration-options').set(a.auth);
    expect(next.body.data.excludeCredentials).toEqual([{ id: response.id, type: 'public-key', transports: ['internal'] }]);
  });

  it('refuses an answer from another origin, for another RP, without user verification, or to another user\'s challenge (422)', async () => {
    const a = await registerAccount(t);
    const b = await registerAccount(t);
    const authenticator = new SoftwareAuthenticator(ORIGIN);
    const cases = [{ origin: 'https://evil.example' }, { rpId: 'evil.example' }, { flags: 0x01 | 0x40 }];
    for (const overrides of cases) {
      const options = await t.http().post('/api/v1/me/passkeys/registration-options').set(a.auth);
      const res = await t.http().post('/api/v1/me/passkeys').set(a.auth).send({ response: authenticator.create(options.body.data, overrides) });
      expect(res.status).toBe(422);
    }
    const optionsOfA = await t.http().post('/api/v1/me/passkeys/registration-options').set(a.auth);
    expect((await t.http().post('/api/v1/me/passkeys').set(b.auth).send({ response: authenticator.create(optionsOfA.body.data) })).status).toBe(422);
    expect((await t.http().get('/api/v1/me/passkeys').set(a.auth)).body.data).toEqual([]);
  });

  it('refuses hostile bodies with 4xx in the envelope', async () => {
    const a = await registerAccount(t);
    const bad = [{}, { response: 'x' }, { response: [] }, { response: {} }, { response: { response: { clientDataJSON: '!!!' } } }, { response: { response: { clientDataJSON: 'x'.repeat(10_000) } } }, { response: {}, name: 'x'.repeat(101) }, { response: {}, name: 'a\u0000' }];
    for (const body of bad) {
      const res = await t.http().post('/api/v1/me/passkeys').set(a.auth).send(body);
      expect(res.status).toBe(422);
      expect(res.body).toMatchObject({ success: false, code: 'VALIDATION_ERROR' });
    }
  });

  it('keeps only the transports WebAuthn knows: any other value of a verified answer is dropped, never a 500', async () => {
    const a = await registerAccount(t);
    const authenticator = new SoftwareAuthenticator(ORIGIN);
    for (const transports of ['usb', { usb: true }, [{ a: 1 }, 'x'.repeat(50_000), 'usb', 'nfc', 'usb'], null]) {
      const options = await t.http().post('/api/v1/me/passkeys/registration-options').set(a.auth);
      const response = authenticator.create(options.body.data);
      const res = await t.http().post('/api/v1/me/passkeys').set(a.auth).send({ response: { ...response, response: { ...response.response, transports } } });
      expect(res.status, JSON.stringify(transports).slice(0, 40)).toBe(201);
      expect(res.body.data.transports, JSON.stringify(transports).slice(0, 40)).toEqual(Array.isArray(transports) ? ['usb', 'nfc'] : []);
    }
  });

  it('is refused (403) to a personal access token or an API key: a leaked script credential cannot add a passkey', async () => {
    const a = await registerAccount(t);
    const pat = await createPat(t, a, { scopes: ['*'] });
    const key = await createApiKey(t, a, { scopes: ['*'] });
    expect((await t.http().post('/api/v1/me/passkeys/registration-options').set('X-Api-Key', pat.token)).status).toBe(403);
    expect((await t.http().post('/api/v1/me/passkeys/registration-options').set(key.auth)).status).toBe(403);
    expect((await t.http().get('/api/v1/me/passkeys').set('X-Api-Key', pat.token)).status).toBe(403);
  });

  it('is refused (403) to a sign-in bound to one workspace: a passkey would sign the account in to all of them', async () => {
    const a = await registerAccount(t);
    const login = await t.http().post('/api/v1/auth/login').send({ email: a.user.email, password: a.password, workspace: a.workspace.id });
    const bound = { Authorization: `Bearer ${login.body.data.access_token}` };
    const session = browserFrom(t, await t.http().post('/api/v1/auth/login').send({ email: a.user.email, password: a.password, workspace: a.workspace.slug, session: true }), ORIGIN);
    expect((await t.http().post('/api/v1/me/passkeys/registration-options').set(bound)).status).toBe(403);
    expect((await t.http().post('/api/v1/me/passkeys/registration-options').set(session.write)).status).toBe(403);
    const authenticator = new SoftwareAuthenticator(ORIGIN);
    const options = await t.http().post('/api/v1/me/passkeys/registration-options').set(a.auth);
    expect((await t.http().post('/api/v1/me/passkeys').set(bound).send({ response: authenticator.create(options.body.data) })).status).toBe(403);
    const passkey = await registerPasskey(a, authenticator);
    expect((await t.http().delete(`/api/v1/me/passkeys/${passkey.id}`).set(session.write)).status).toBe(403);
    expect((await t.http().get('/api/v1/me/passkeys').set(a.auth)).body.data).toHaveLength(1);
  });
});

describe('Sign in with a passkey [POST /auth/passkeys/options, POST /auth/passkeys/verify]', () => {
  it('a discoverable credential signs the browser in, no account named beforehand', async () => {
    const a = await registerAccount(t);
    const authenticator = new SoftwareAuthenticator(ORIGIN);
    const passkey = await registerPasskey(a, authenticator);
    const options = await signInOptions();
    expect(options).toMatchObject({ rpId: 'localhost', userVerification: 'required' });
    expect(options).not.toHaveProperty('allowCredentials.0');
    const res = await t.http().post('/api/v1/auth/passkeys/verify').send({ response: authenticator.get(options) });
    expect(res.status).toBe(200);
    expect(res.body.data.user.id).toBe(a.user.id);
    const browser = browserFrom(t, res, ORIGIN);
    expect((await t.http().get('/api/v1/me').set(browser.read)).body.data.id).toBe(a.user.id);
    expect((await t.http().get('/api/v1/me/sessions').set(browser.read)).body.data[0]).toMatchObject({ auth_method: 'passkey', current: true });
    const listed = (await t.http().get('/api/v1/me/passkeys').set(browser.read)).body.data[0];
    expect(listed).toMatchObject({ id: passkey.id, last_used_at: expect.any(String) });
  });

  it('refuses a replayed assertion, and a signature counter that did not move forward (a cloned authenticator)', async () => {
    const a = await registerAccount(t);
    const authenticator = new SoftwareAuthenticator(ORIGIN);
    await registerPasskey(a, authenticator);
    const options = await signInOptions();
    const assertion = authenticator.get(options, { signCount: 5 });
    expect((await t.http().post('/api/v1/auth/passkeys/verify').send({ response: assertion })).status).toBe(200);
    expect((await t.http().post('/api/v1/auth/passkeys/verify').send({ response: assertion })).status).toBe(401);
    for (const signCount of [5, 4]) {
      const res = await t.http().post('/api/v1/auth/passkeys/verify').send({ response: authenticator.get(await signInOptions(), { signCount }) });
      expect(res.status).toBe(401);
      expect(setCookies(res).size).toBe(0);
    }
    expect((await t.http().post('/api/v1/auth/passkeys/verify').send({ response: authenticator.get(await signInOptions(), { signCount: 6 }) })).status).toBe(200);
  });

  it('answers the same 401 for another origin, no user verification, another user\'s handle, an unknown credential or an expired challenge', async () => {
    const a = await registerAccount(t);
    const b = await registerAccount(t);
    const authenticator = new SoftwareAuthenticator(ORIGIN);
    await registerPasskey(a, authenticator);
    const stranger = new SoftwareAuthenticator(ORIGIN);
    stranger.create({ challenge: 'x', rp: { id: 'localhost' }, user: { id: Buffer.from(a.user.id).toString('base64url') } });
    const attempts = [
      authenticator.get(await signInOptions(), { origin: 'https://evil.example' }),
      authenticator.get(await signInOptions(), { flags: 0x01 }),
      authenticator.get(await signInOptions(), { userHandle: Buffer.from(b.user.id).toString('base64url') }),
      stranger.get(await signInOptions()),
    ];
    const messages = new Set<string>();
    for (const response of attempts) {
      const res = await t.http().post('/api/v1/auth/passkeys/verify').send({ response });
      expect(res.status).toBe(401);
      messages.add(res.body.message);
    }
    expect(messages.size).toBe(1);
    const stale = await signInOptions();
    const db = new Client({ connectionString: inject('databaseUrl') });
    await db.connect();
    try {
      await db.query(`UPDATE webauthn_challenges SET expires_at = now() - interval '1 second' WHERE challenge = $1`, [stale.challenge]);
    } finally {
      await db.end();
    }
    expect((await t.http().post('/api/v1/auth/passkeys/verify').send({ response: authenticator.get(stale) })).status).toBe(401);
  });

  it('refuses hostile bodies with 4xx, never 5xx', async () => {
    for (const body of [{}, { response: 1 }, { response: null }]) expect((await t.http().post('/api/v1/auth/passkeys/verify').send(body)).status).toBe(422);
    for (const response of [{}, { id: 'x', response: { clientDataJSON: 'e30' } }, { id: 'x'.repeat(5000), response: { clientDataJSON: Buffer.from(JSON.stringify({ challenge: 'y'.repeat(300) })).toString('base64url') } }]) {
      expect((await t.http().post('/api/v1/auth/passkeys/verify').send({ response })).status).toBe(401);
    }
  });

  it('a burst of 60 copies of one assertion: exactly one signs in, none fails with 5xx', async () => {
    const a = await registerAccount(t);
    const authenticator = new SoftwareAuthenticator(ORIGIN);
    await registerPasskey(a, authenticator);
    const assertion = authenticator.get(await signInOptions());
    const results = await Promise.all(Array.from({ length: 60 }, () => t.http().post('/api/v1/auth/passkeys/verify').send({ response: assertion })));
    expect(results.filter((r) => r.status >= 500)).toEqual([]);
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
  });
});

describe('My passkeys [GET/PATCH/DELETE /me/passkeys/{id}]', () => {
  it('renames and removes my own; another user\'s or a malformed id is 404; a removed passkey signs in no more', async () => {
    const a = await registerAccount(t);
    const b = await registerAccount(t);
    const authenticator = new SoftwareAuthenticator(ORIGIN);
    const passkey = await registerPasskey(a, authenticator);
    const renamed = await t.http().patch(`/api/v1/me/passkeys/${passkey.id}`).set(a.auth).send({ name: 'Work laptop' });
    expect(renamed.status).toBe(200);
    expect(renamed.body.data.name).toBe('Work laptop');
    expect((await t.http().patch(`/api/v1/me/passkeys/${passkey.id}`).set(a.auth).send({ name: '' })).status).toBe(422);
    expect((await t.http().patch(`/api/v1/me/passkeys/${passkey.id}`).set(b.auth).send({ name: 'Mine now' })).status).toBe(404);
    expect((await t.http().delete(`/api/v1/me/passkeys/${passkey.id}`).set(b.auth)).status).toBe(404);
    expect((await t.http().delete('/api/v1/me/passkeys/pky_%00').set(a.auth)).status).toBe(404);
    expect((await t.http().delete(`/api/v1/me/passkeys/${passkey.id}`).set(a.auth)).status).toBe(204);
    expect((await t.http().get('/api/v1/me/passkeys').set(a.auth)).body.data).toEqual([]);
    expect((await t.http().post('/api/v1/auth/passkeys/verify').send({ response: authenticator.get(await signInOptions()) })).status).toBe(401);
  });
});
