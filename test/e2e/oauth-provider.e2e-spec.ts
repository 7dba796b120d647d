import * as client from 'openid-client';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { INestApplicationContext } from '@nestjs/common';
import { Account, addMember, createPat, makeOperator, registerAccount, resetTokenFor } from '../factories/accounts';
import { OAuthGrantsService } from '../../src/modules/oauth/oauth-grants.service';
import { enableTotp } from '../factories/mfa';
import { startTestWorker } from '../utils/app';
import { isolatedStack } from '../utils/isolated-stack';
import {
  authorizationRequest,
  authorizeAndExchange,
  Browser,
  consent,
  discover,
  formsOf,
  IssuerApp,
  registerClient,
  RegisteredClient,
  startIssuerApp,
} from '../factories/oauth';

/**
 * The built-in OAuth 2.1 / OpenID Connect provider at /oauth, driven by a real client library
 * (openid-client) and a browser that submits the provider's own HTML forms.
 */
let t: IssuerApp;
let owner: Account;
let app: RegisteredClient;

beforeAll(async () => {
  t = await startIssuerApp();
  owner = await registerAccount(t);
  app = await registerClient(t, owner);
});
afterAll(async () => {
  await t?.close();
});

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const kidOf = (jwt: string) => (JSON.parse(Buffer.from(jwt.split('.')[0], 'base64url').toString()) as { kid: string }).kid;

/** POSTs a form to a provider endpoint with HTTP Basic client authentication. */
function tokenEndpoint(path: string, c: RegisteredClient, form: Record<string, string>, secret = c.secret) {
  const req = t.http().post(`/oauth${path}`).type('form').send(form);
  return secret ? req.auth(c.id, secret) : req;
}

describe('Discovery and keys [GET /.well-known/openid-configuration, GET /oauth/jwks]', () => {
  it('serves the same metadata at the root and under /oauth: code flow with S256 PKCE only', async () => {
    const root = await t.http().get('/.well-known/openid-configuration');
    const mounted = await t.http().get('/oauth/.well-known/openid-configuration');
    expect(root.status).toBe(200);
    expect(root.body).toEqual(mounted.body);
    expect(root.body).toMatchObject({
      issuer: t.issuer,
      authorization_endpoint: `${t.issuer}/auth`,
      token_endpoint: `${t.issuer}/token`,
      userinfo_endpoint: `${t.issuer}/me`,
      jwks_uri: `${t.issuer}/jwks`,
      revocation_endpoint: `${t.issuer}/token/revocation`,
      introspection_endpoint: `${t.issuer}/token/introspection`,
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
    });
    expect(root.body.scopes_supported).toEqual(expect.arrayContaining(['openid', 'posts:read', 'oauth-clients:write']));
    expect((await t.http().get('/.well-known/oauth-authorization-server/oauth')).body.issuer).toBe(t.issuer);
    expect(root.headers['x-request-id']).toMatch(/^req_/);
  });

  it('publishes the active key and the next one (RS256), never a private part', async () => {
    const res = await t.http().get('/oauth/jwks');
    expect(res.status).toBe(200);
    expect(res.body.keys).toHaveLength(2);
    for (const key of res.body.keys) {
      expect(key).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', kid: expect.stringMatching(/^osk_/) });
      expect(key).not.toHaveProperty('d');
    }
  });
});

describe('OpenAPI', () => {
  it('documents the OAuth 2.1 security scheme on every authenticated route, and the OAuth routes', async () => {
    const doc = (await t.http().get('/docs/openapi.json')).body;
    expect(doc.components.securitySchemes.oauth2).toMatchObject({
      type: 'oauth2',
      flows: { authorizationCode: { authorizationUrl: '/oauth/auth', tokenUrl: '/oauth/token', refreshUrl: '/oauth/token', scopes: expect.objectContaining({ 'posts:read': 'Read posts.' }) } },
    });
    expect(doc.paths['/api/v1/posts'].post.security).toEqual(expect.arrayContaining([{ oauth2: ['posts:write'] }]));
    for (const [method, path] of [
      ['get', '/api/v1/oauth-clients'], ['post', '/api/v1/oauth-clients'], ['get', '/api/v1/oauth-clients/{id}'], ['patch', '/api/v1/oauth-clients/{id}'],
      ['delete', '/api/v1/oauth-clients/{id}'], ['post', '/api/v1/oauth-clients/{id}/rotate-secret'],
      ['get', '/api/v1/me/authorizations'], ['get', '/api/v1/me/authorizations/{id}'], ['delete', '/api/v1/me/authorizations/{id}'],
      ['get', '/api/v1/admin/oauth/signing-keys'], ['post', '/api/v1/admin/oauth/signing-keys/rotate'],
    ]) {
      expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
    }
    expect(doc.paths['/api/v1/oauth-clients'].post['x-required-scopes']).toEqual(['oauth-clients:write']);
    expect((await t.http().get('/docs')).status).toBe(200);
  });
});

describe('Authorization code + PKCE [GET /oauth/auth, POST /oauth/token]', () => {
  it('signs in, consents in a workspace, and the token reads and writes posts there', async () => {
    const config = await discover(t, app);
    const request = await authorizationRequest(config, app.redirectUri, 'openid email profile posts:read posts:write users:read');
    const browser = new Browser(t.url);
    const signIn = await browser.follow(request.url.href);
    expect(signIn.status).toBe(200);
    expect(signIn.headers.get('content-type')).toMatch(/^text\/html/);
    expect(signIn.headers.get('x-frame-options')).toBe('DENY');
    // Under no-referrer, Chromium posts the page's forms with "Origin: null", which the provider refuses.
    expect(signIn.headers.get('referrer-policy')).toBe('same-origin');
    expect(signIn.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(signIn.html).toContain('<h1>Sign in to continue to Test App</h1>');
    expect(signIn.html).toContain('<label for="email">');

    const consentPage = await browser.submit(signIn, '/login', { email: owner.user.email, password: owner.password });
    expect(consentPage.status).toBe(200);
    expect(consentPage.html).toContain('Allow Test App to use your Tessera account?');
    expect(consentPage.html).toContain('posts:write');
    const form = formsOf(consentPage.html).find((f) => f.action.endsWith('/confirm'))!;
    expect(form.radios.workspace).toEqual([owner.workspace.id]);

    const landed = await browser.submit(consentPage, '/confirm', { workspace: owner.workspace.id });
    const callback = new URL(landed.location!);
    expect(`${callback.origin}${callback.pathname}`).toBe(app.redirectUri);
    expect(callback.searchParams.get('state')).toBe(request.state);
    expect(callback.searchParams.get('iss')).toBe(t.issuer);

    const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: request.verifier, expectedState: request.state, expectedNonce: request.nonce });
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    expect(tokens.expires_in).toBe(900);
    expect(tokens.scope!.split(' ').sort()).toEqual(['email', 'openid', 'posts:read', 'posts:write', 'profile', 'users:read']);
    expect(tokens.refresh_token).toBeTruthy();
    expect(tokens.claims()).toMatchObject({ sub: owner.user.id, iss: t.issuer, aud: app.id });

    // No X-Workspace-ID needed: the token is bound to the workspace picked at consent.
    const created = await t.http().post('/api/v1/posts').set(bearer(tokens.access_token)).send({ title: 'Written by an app' });
    expect(created.status).toBe(201);
    expect(created.body.data.author_id).toBe(owner.user.id);
    const list = await t.http().get('/api/v1/posts').set(bearer(tokens.access_token));
    expect(list.status).toBe(200);
    expect(list.body.data.map((p: { title: string }) => p.title)).toContain('Written by an app');

    const userinfo = await client.fetchUserInfo(config, tokens.access_token, owner.user.id);
    expect(userinfo).toMatchObject({ sub: owner.user.id, email: owner.user.email, email_verified: false, name: owner.user.name });
  });

  it('a refresh rotates the refresh token; presenting the old one again revokes the whole grant', async () => {
    const { config, tokens } = await authorizeAndExchange(t, app, owner);
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    expect((await t.http().get('/api/v1/posts').set(bearer(refreshed.access_token))).status).toBe(200);

    const replay = await tokenEndpoint('/token', app, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! });
    expect(replay.status).toBe(400);
    expect(replay.body).toMatchObject({ error: 'invalid_grant' });
    // Reuse detected: every token of the grant is dead, the rotated ones included.
    expect((await t.http().get('/api/v1/posts').set(bearer(refreshed.access_token))).status).toBe(401);
    expect((await tokenEndpoint('/token', app, { grant_type: 'refresh_token', refresh_token: refreshed.refresh_token! })).body.error).toBe('invalid_grant');
  });

  it('a redirect URI that is not registered exactly is refused on a page, never redirected to', async () => {
    const config = await discover(t, app);
    for (const uri of [`${app.redirectUri}/extra`, app.redirectUri.replace('8765', '8766'), 'https://evil.example/callback']) {
      const request = await authorizationRequest(config, uri, 'openid posts:read');
      const page = await new Browser(t.url).request(request.url.href);
      expect(page.status, uri).toBe(400);
      expect(page.location, uri).toBeNull();
      expect(page.html).toContain('redirect_uri');
    }
  });

  it('an authorization request without PKCE is sent back with invalid_request', async () => {
    const config = await discover(t, app);
    const url = client.buildAuthorizationUrl(config, { redirect_uri: app.redirectUri, scope: 'openid posts:read', state: 'abc' });
    const page = await new Browser(t.url).request(url.href);
    const back = new URL(page.location!);
    expect(`${back.origin}${back.pathname}`).toBe(app.redirectUri);
    expect(back.searchParams.get('error')).toBe('invalid_request');
    expect(back.searchParams.get('error_description')).toMatch(/PKCE/);
  });

  it('no implicit flow, no password grant, no scope the client was not allowed', async () => {
    const config = await discover(t, app);
    const implicit = client.buildAuthorizationUrl(config, { redirect_uri: app.redirectUri, scope: 'openid', response_type: 'token', state: 'x', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' });
    const page = await new Browser(t.url).request(implicit.href);
    expect(page.location ?? page.html).toMatch(/unsupported_response_type/);
    const password = await tokenEndpoint('/token', app, { grant_type: 'password', username: owner.user.email, password: owner.password });
    expect(password.status).toBe(400);
    expect(password.body.error).toBe('unsupported_grant_type');
    const request = await authorizationRequest(config, app.redirectUri, 'openid members:write');
    const refused = await new Browser(t.url).request(request.url.href);
    expect(new URL(refused.location!).searchParams.get('error')).toBe('invalid_scope');
  });

  it('a replayed code is refused and revokes what the first exchange issued', async () => {
    const config = await discover(t, app);
    const request = await authorizationRequest(config, app.redirectUri, 'openid posts:read');
    const callback = await consent(new Browser(t.url), request, { email: owner.user.email, password: owner.password }, owner.workspace.id);
    const code = callback.searchParams.get('code')!;
    const first = await tokenEndpoint('/token', app, { grant_type: 'authorization_code', code, redirect_uri: app.redirectUri, code_verifier: request.verifier });
    expect(first.status).toBe(200);
    const second = await tokenEndpoint('/token', app, { grant_type: 'authorization_code', code, redirect_uri: app.redirectUri, code_verifier: request.verifier });
    expect(second.status).toBe(400);
    expect(second.body.error).toBe('invalid_grant');
    expect((await t.http().get('/api/v1/posts').set(bearer(first.body.access_token))).status).toBe(401);
  });

  it('the code needs its own PKCE verifier and redirect URI; hostile token requests are 4xx', async () => {
    const config = await discover(t, app);
    const request = await authorizationRequest(config, app.redirectUri, 'openid posts:read');
    const callback = await consent(new Browser(t.url), request, { email: owner.user.email, password: owner.password }, owner.workspace.id);
    const code = callback.searchParams.get('code')!;
    const noVerifier = await tokenEndpoint('/token', app, { grant_type: 'authorization_code', code, redirect_uri: app.redirectUri });
    expect(noVerifier.status).toBe(400);
    const wrongVerifier = await tokenEndpoint('/token', app, { grant_type: 'authorization_code', code, redirect_uri: app.redirectUri, code_verifier: client.randomPKCECodeVerifier() });
    expect(wrongVerifier.body.error).toBe('invalid_grant');
    const hostile: Array<Record<string, string>> = [{ grant_type: 'authorization_code', code: 'a\u0000b', redirect_uri: app.redirectUri, code_verifier: request.verifier }, { grant_type: 'refresh_token', refresh_token: 'x'.repeat(50_000) }, { grant_type: 'authorization_code' }];
    for (const form of hostile) {
      const res = await tokenEndpoint('/token', app, form);
      expect(res.status, JSON.stringify(form).slice(0, 60)).toBeGreaterThanOrEqual(400);
      expect(res.status, JSON.stringify(form).slice(0, 60)).toBeLessThan(500);
    }
    const wrongSecret = await tokenEndpoint('/token', app, { grant_type: 'authorization_code', code, redirect_uri: app.redirectUri, code_verifier: request.verifier }, 'tsr_ocs_wrong');
    expect(wrongSecret.status).toBe(401);
    expect(wrongSecret.body.error).toBe('invalid_client');
  });

  it('a public client (no secret) goes through the same flow with PKCE', async () => {
    const pub = await registerClient(t, owner, { type: 'public', name: 'Native App' });
    const { tokens } = await authorizeAndExchange(t, pub, owner, 'openid posts:read');
    expect((await t.http().get('/api/v1/posts').set(bearer(tokens.access_token))).status).toBe(200);
  });

  it('the user may deny: the app gets access_denied', async () => {
    const config = await discover(t, app);
    const request = await authorizationRequest(config, app.redirectUri, 'openid posts:read');
    const browser = new Browser(t.url);
    const signIn = await browser.follow(request.url.href);
    const consentPage = await browser.submit(signIn, '/login', { email: owner.user.email, password: owner.password });
    const denied = await browser.submit(consentPage, '/abort');
    expect(new URL(denied.location!).searchParams.get('error')).toBe('access_denied');
  });

  it('stores no usable token: codes, access and refresh tokens are kept as SHA-256', async () => {
    const { tokens } = await authorizeAndExchange(t, app, owner);
    const db = new Client({ connectionString: inject('databaseUrl') });
    await db.connect();
    try {
      const { rows } = await db.query(`SELECT count(*)::int AS n FROM oauth_tokens WHERE payload::text LIKE $1 OR payload::text LIKE $2`, [`%${tokens.access_token}%`, `%${tokens.refresh_token}%`]);
      expect(rows[0].n).toBe(0);
      const hashed = await db.query(`SELECT count(*)::int AS n FROM oauth_tokens WHERE id_hash = sha256(convert_to($1, 'UTF8'))`, [tokens.access_token]);
      expect(hashed.rows[0].n).toBe(1);
    } finally {
      await db.end();
    }
  });
});

describe('Signing in on the provider\'s page with the rules of the API\'s own sign-in', () => {
  it('an account with TOTP on: the password alone gets no token; a current code does, once; a recovery code does too', async () => {
    const user = await registerAccount(t);
    const { authenticator, recoveryCodes } = await enableTotp(t, user);
    const config = await discover(t, app);

    const request = await authorizationRequest(config, app.redirectUri, 'openid posts:read');
    const browser = new Browser(t.url);
    const signIn = await browser.follow(request.url.href);
    expect(signIn.html).toContain('<label for="code">Authentication code</label>');
    const passwordOnly = await browser.submit(signIn, '/login', { email: user.user.email, password: user.password });
    expect(passwordOnly.status).toBe(401);
    expect(passwordOnly.html).toContain('two-factor sign-in');
    expect(formsOf(passwordOnly.html).some((f) => f.action.endsWith('/confirm'))).toBe(false);
    const wrong = await browser.submit(passwordOnly, '/login', { email: user.user.email, password: user.password, code: authenticator.code() === '000000' ? '111111' : '000000' });
    expect(wrong.status).toBe(401);
    expect(wrong.html).toContain('The code is wrong');
    const code = authenticator.code();
    const consentPage = await browser.submit(wrong, '/login', { email: user.user.email, password: user.password, code });
    expect(consentPage.status).toBe(200);
    expect(formsOf(consentPage.html).some((f) => f.action.endsWith('/confirm'))).toBe(true);

    // The same code a second time, in another browser: refused (each code signs in once).
    const again = await authorizationRequest(config, app.redirectUri, 'openid posts:read');
    const other = new Browser(t.url);
    const replayed = await other.submit(await other.follow(again.url.href), '/login', { email: user.user.email, password: user.password, code });
    expect(replayed.status).toBe(401);
    const recovered = await other.submit(replayed, '/login', { email: user.user.email, password: user.password, code: recoveryCodes[0] });
    expect(recovered.status).toBe(200);
    expect(formsOf(recovered.html).some((f) => f.action.endsWith('/confirm'))).toBe(true);
  });

  it('a browser signed in to Tessera (session cookie) goes straight to consent; a session bound to one workspace does not', async () => {
    const user = await registerAccount(t);
    const config = await discover(t, app);
    for (const [body, signedIn] of [[{}, true], [{ workspace: user.workspace.id }, false]] as const) {
      const browser = new Browser(t.url);
      const login = await browser.request('/api/v1/auth/login', {
        method: 'POST',
        body: JSON.stringify({ email: user.user.email, password: user.password, session: true, ...body }),
        headers: { 'content-type': 'application/json' },
      });
      expect(login.status).toBe(200);
      const request = await authorizationRequest(config, app.redirectUri, 'openid posts:read');
      const page = await browser.follow(request.url.href);
      expect(page.status).toBe(200);
      expect(formsOf(page.html).some((f) => f.action.endsWith('/confirm'))).toBe(signedIn);
      expect(formsOf(page.html).some((f) => f.action.endsWith('/login'))).toBe(!signedIn);
    }
  });
  it("the provider's sign-in lasts as long as the Tessera session behind it: after a logout the next request asks to sign in, and prompt=none is login_required", async () => {
    const user = await registerAccount(t);
    const config = await discover(t, app);
    const browser = new Browser(t.url);
    const login = await browser.request('/api/v1/auth/login', { method: 'POST', body: JSON.stringify({ email: user.user.email, password: user.password, session: true }), headers: { 'content-type': 'application/json' } });
    const csrf = (JSON.parse(login.html) as { data: { csrf_token: string } }).data.csrf_token;
    const first = await browser.follow((await authorizationRequest(config, app.redirectUri, 'openid posts:read')).url.href);
    expect(new URL((await browser.submit(first, '/confirm', { workspace: user.workspace.id })).location!).searchParams.get('code')).toBeTruthy();
    // While the session lives, its consent is reused.
    const reused = await browser.follow((await authorizationRequest(config, app.redirectUri, 'openid posts:read')).url.href);
    expect(new URL(reused.location!).searchParams.get('code')).toBeTruthy();

    const logout = await browser.request('/api/v1/auth/logout', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json', 'x-csrf-token': csrf } });
    expect(logout.status).toBe(204);
    const after = await browser.follow((await authorizationRequest(config, app.redirectUri, 'openid posts:read')).url.href);
    expect(after.location).toBeNull();
    expect(formsOf(after.html).some((f) => f.action.endsWith('/login'))).toBe(true);
    const silent = await browser.follow((await authorizationRequest(config, app.redirectUri, 'openid posts:read', { prompt: 'none' })).url.href);
    expect(new URL(silent.location!).searchParams.get('error')).toBe('login_required');
  });

  it('an app that asks for a fresh sign-in (prompt=login, max_age) gets the password page even in a browser signed in to Tessera, and an auth_time that says so', async () => {
    const user = await registerAccount(t);
    const config = await discover(t, app);
    const browser = new Browser(t.url);
    const login = await browser.request('/api/v1/auth/login', { method: 'POST', body: JSON.stringify({ email: user.user.email, password: user.password, session: true }), headers: { 'content-type': 'application/json' } });
    expect(login.status).toBe(200);
    for (const extra of [{ prompt: 'login' }, { max_age: '0' }] as Array<Record<string, string>>) {
      const page = await browser.follow((await authorizationRequest(config, app.redirectUri, 'openid posts:read', extra)).url.href);
      expect(page.location, JSON.stringify(extra)).toBeNull();
      expect(formsOf(page.html).some((f) => f.action.endsWith('/login')), JSON.stringify(extra)).toBe(true);
    }
    const request = await authorizationRequest(config, app.redirectUri, 'openid posts:read', { max_age: '60' });
    const before = Math.floor(Date.now() / 1000) - 1;
    const callback = await consent(browser, request, { email: user.user.email, password: user.password }, user.workspace.id);
    const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: request.verifier, expectedState: request.state, expectedNonce: request.nonce, maxAge: 60 });
    expect(tokens.claims()!.auth_time).toBeGreaterThanOrEqual(before);
  });

  it('a password typed on the page signs in for that authorization only: the next account signed in to this browser gets its own consent page', async () => {
    const first = await registerAccount(t);
    const config = await discover(t, app);
    const browser = new Browser(t.url);
    await consent(browser, await authorizationRequest(config, app.redirectUri, 'openid posts:read'), { email: first.user.email, password: first.password }, first.workspace.id);
    // The same person again: the page asks for the password again.
    const again = await browser.follow((await authorizationRequest(config, app.redirectUri, 'openid posts:read')).url.href);
    expect(again.location).toBeNull();
    expect(formsOf(again.html).some((f) => f.action.endsWith('/login'))).toBe(true);
    // Someone else signs in to Tessera in this browser: the app gets them, never the account before.
    const second = await registerAccount(t);
    const login = await browser.request('/api/v1/auth/login', { method: 'POST', body: JSON.stringify({ email: second.user.email, password: second.password, session: true }), headers: { 'content-type': 'application/json' } });
    expect(login.status).toBe(200);
    const page = await browser.follow((await authorizationRequest(config, app.redirectUri, 'openid posts:read')).url.href);
    expect(page.status).toBe(200);
    expect(page.html).toContain(`Signed in as ${second.user.email}.`);
    expect(formsOf(page.html).find((f) => f.action.endsWith('/confirm'))!.radios.workspace).toEqual([second.workspace.id]);
  });
});

describe('The OAuth token as a credential', () => {
  it('is bound to its workspace: another one of the user is 403, a stranger workspace 404', async () => {
    const { tokens } = await authorizeAndExchange(t, app, owner);
    const second = await t.http().post('/api/v1/workspaces').set(owner.auth).send({ name: 'Second' });
    const stranger = await registerAccount(t);
    const other = await t.http().get('/api/v1/posts').set(bearer(tokens.access_token)).set('X-Workspace-ID', second.body.data.id);
    expect(other.status).toBe(403);
    const strange = await t.http().get('/api/v1/posts').set(bearer(tokens.access_token)).set('X-Workspace-ID', stranger.workspace.id);
    expect(strange.status).toBe(404);
    expect((await t.http().get(`/api/v1/workspaces/${stranger.workspace.id}`).set(bearer(tokens.access_token))).status).toBe(404);
    // Routes that reach across workspaces refuse a bound credential; it exchanges for nothing.
    expect((await t.http().get('/api/v1/me/invitations').set(bearer(tokens.access_token))).status).toBe(403);
    expect((await t.http().get('/api/v1/auth/token').set(bearer(tokens.access_token))).status).toBe(400);
  });

  it('carries only its granted scopes: a route needing another is 403 naming it', async () => {
    const readOnly = await registerClient(t, owner, { scopes: ['posts:read'] });
    const { tokens } = await authorizeAndExchange(t, readOnly, owner, 'openid posts:read');
    const res = await t.http().post('/api/v1/posts').set(bearer(tokens.access_token)).send({ title: 'Nope' });
    expect(res.status).toBe(403);
    expect(res.body.meta.required_scopes).toEqual(['posts:write']);
    expect((await t.http().get('/api/v1/me').set(bearer(tokens.access_token))).status).toBe(403);
  });

  it('never past the user: a viewer grants no write, and a later demotion narrows the app at once', async () => {
    const viewer = await addMember(t, owner, owner.workspace.id, 'viewer');
    const config = await discover(t, app);
    const request = await authorizationRequest(config, app.redirectUri, 'openid posts:read posts:write');
    const browser = new Browser(t.url);
    const signIn = await browser.follow(request.url.href);
    const consentPage = await browser.submit(signIn, '/login', { email: viewer.user.email, password: viewer.password });
    expect(consentPage.html).toContain('does not hold posts:write');
    const landed = await browser.submit(consentPage, '/confirm', { workspace: owner.workspace.id });
    const tokens = await client.authorizationCodeGrant(config, new URL(landed.location!), { pkceCodeVerifier: request.verifier, expectedState: request.state, expectedNonce: request.nonce });
    expect(tokens.scope!.split(' ').sort()).toEqual(['openid', 'posts:read']);
    const write = await t.http().post('/api/v1/posts').set(bearer(tokens.access_token)).send({ title: 'Nope' });
    expect(write.status).toBe(403);

    const member = await addMember(t, owner, owner.workspace.id, 'member');
    const memberTokens = (await authorizeAndExchange(t, app, member, 'openid posts:read posts:write', owner.workspace.id)).tokens;
    expect((await t.http().post('/api/v1/posts').set(bearer(memberTokens.access_token)).send({ title: 'While a member' })).status).toBe(201);
    await t.http().patch(`/api/v1/workspaces/${owner.workspace.id}/members/${member.user.id}`).set(owner.auth).send({ role: 'viewer' });
    const demoted = await t.http().post('/api/v1/posts').set(bearer(memberTokens.access_token)).send({ title: 'After demotion' });
    expect(demoted.status).toBe(403);
    await t.http().delete(`/api/v1/workspaces/${owner.workspace.id}/members/${member.user.id}`).set(owner.auth);
    expect((await t.http().get('/api/v1/posts').set(bearer(memberTokens.access_token))).status).toBe(404);
  });

  it('mints only what delegation allows: a token pinned to its workspace, within its scopes, expiring with it', async () => {
    const minting = await registerClient(t, owner, { scopes: ['tokens:write', 'posts:read'] });
    const { tokens } = await authorizeAndExchange(t, minting, owner, 'openid tokens:write posts:read');
    const unpinned = await t.http().post('/api/v1/me/tokens').set(bearer(tokens.access_token)).send({ name: 'from app', scopes: ['posts:read'] });
    expect(unpinned.status).toBe(403);
    const beyond = await t.http().post('/api/v1/me/tokens').set(bearer(tokens.access_token)).send({ name: 'from app', scopes: ['posts:write'], workspace_id: owner.workspace.id });
    expect(beyond.status).toBe(403);
    const pinned = await t.http().post('/api/v1/me/tokens').set(bearer(tokens.access_token)).send({ name: 'from app', scopes: ['posts:read'], workspace_id: owner.workspace.id });
    expect(pinned.status).toBe(201);
    const expiresAt = new Date(pinned.body.data.expires_at).getTime();
    expect(expiresAt).toBeGreaterThan(Date.now());
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 900_000);
  });

  it('a consent in a workspace the user does not belong to is refused on the page', async () => {
    const stranger = await registerAccount(t);
    const config = await discover(t, app);
    const request = await authorizationRequest(config, app.redirectUri, 'openid posts:read');
    const browser = new Browser(t.url);
    const signIn = await browser.follow(request.url.href);
    const consentPage = await browser.submit(signIn, '/login', { email: owner.user.email, password: owner.password });
    const refused = await browser.submit(consentPage, '/confirm', { workspace: stranger.workspace.id });
    expect(refused.status).toBe(400);
    expect(refused.location).toBeNull();
    expect(refused.html).toContain('Pick one of your workspaces.');
  });

  it('a burst of 60 requests with one token: every one answers, none 5xx', async () => {
    const { tokens } = await authorizeAndExchange(t, app, owner);
    const answers = await Promise.all(Array.from({ length: 60 }, () => t.http().get('/api/v1/posts?per_page=5').set(bearer(tokens.access_token))));
    expect(answers.map((r) => r.status).filter((s) => s !== 200)).toEqual([]);
  });
});

describe('Revocation (RFC 7009) and introspection (RFC 7662)', () => {
  it('introspection answers the token owner only, with the workspace the token is bound to', async () => {
    const { tokens } = await authorizeAndExchange(t, app, owner);
    const own = await tokenEndpoint('/token/introspection', app, { token: tokens.access_token });
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ active: true, client_id: app.id, sub: owner.user.id, workspace_id: owner.workspace.id, token_type: 'Bearer', iss: t.issuer });
    expect(own.body.scope.split(' ')).toEqual(expect.arrayContaining(['posts:read', 'posts:write']));
    const other = await registerClient(t, owner, { name: 'Other App' });
    expect((await tokenEndpoint('/token/introspection', other, { token: tokens.access_token })).body).toEqual({ active: false });
    expect((await tokenEndpoint('/token/introspection', app, { token: 'not-a-token' })).body).toEqual({ active: false });
    expect((await t.http().post('/oauth/token/introspection').type('form').send({ token: tokens.access_token })).status).toBe(400);
  });

  it('revoking the access token refuses it at once, and the refresh tokens of its grant with it', async () => {
    const { config, tokens } = await authorizeAndExchange(t, app, owner);
    expect((await t.http().get('/api/v1/posts').set(bearer(tokens.access_token))).status).toBe(200);
    await client.tokenRevocation(config, tokens.access_token, { token_type_hint: 'access_token' });
    const refused = await t.http().get('/api/v1/posts').set(bearer(tokens.access_token));
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('UNAUTHORIZED');
    expect((await tokenEndpoint('/token/introspection', app, { token: tokens.access_token })).body.active).toBe(false);
    // oidc-provider revokes every token of the grant (RFC 7009 allows it); the authorization stays.
    await expect(client.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('revoking the refresh token ends the whole grant: its access tokens and the authorization', async () => {
    const user = await registerAccount(t);
    const { config, tokens } = await authorizeAndExchange(t, app, user);
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    expect((await t.http().get('/api/v1/posts').set(bearer(refreshed.access_token))).status).toBe(200);
    expect((await t.http().get('/api/v1/me/authorizations').set(user.auth)).body.data).toHaveLength(1);
    await client.tokenRevocation(config, refreshed.refresh_token!);
    expect((await t.http().get('/api/v1/posts').set(bearer(refreshed.access_token))).status).toBe(401);
    await expect(client.refreshTokenGrant(config, refreshed.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await t.http().get('/api/v1/me/authorizations').set(user.auth)).body.data).toEqual([]);
    // Another client may not revoke this app's tokens (RFC 7009: only the client they were issued to).
    const other = await registerClient(t, owner, { name: 'Other App' });
    const again = await authorizeAndExchange(t, app, user);
    const foreign = await tokenEndpoint('/token/revocation', other, { token: again.tokens.access_token });
    expect(foreign.status).toBe(400);
    expect(foreign.body.error).toBe('invalid_request');
    expect((await t.http().get('/api/v1/posts').set(bearer(again.tokens.access_token))).status).toBe(200);
  });

  it('a burst of 30 refreshes with one refresh token: one wins, the rest are invalid_grant, and the grant is revoked', async () => {
    const { tokens } = await authorizeAndExchange(t, app, owner);
    const answers = await Promise.all(Array.from({ length: 30 }, () => tokenEndpoint('/token', app, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! })));
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(1);
    expect(answers.filter((r) => r.status === 400).every((r) => r.body.error === 'invalid_grant')).toBe(true);
    // Reuse was seen: whatever the winner got is dead too.
    for (const won of answers.filter((r) => r.status === 200)) {
      expect((await t.http().get('/api/v1/posts').set(bearer(won.body.access_token))).status).toBe(401);
    }
  });
});

describe('My authorizations [GET/DELETE /me/authorizations]', () => {
  it('lists the app with its workspace; revoking it ends its tokens in every process at once', async () => {
    const user = await registerAccount(t);
    const { config, tokens } = await authorizeAndExchange(t, app, user);
    const list = await t.http().get('/api/v1/me/authorizations').set(user.auth);
    expect(list.status).toBe(200);
    expect(list.body.data).toHaveLength(1);
    const authorization = list.body.data[0];
    expect(authorization).toMatchObject({ id: expect.stringMatching(/^oag_/), client: { id: app.id, name: 'Test App' }, workspace: { id: user.workspace.id, slug: user.workspace.slug } });
    expect(authorization.scopes).toEqual(expect.arrayContaining(['posts:read', 'posts:write']));
    expect((await t.http().get(`/api/v1/me/authorizations/${authorization.id}`).set(user.auth)).body.data.id).toBe(authorization.id);

    const intruder = await registerAccount(t);
    expect((await t.http().delete(`/api/v1/me/authorizations/${authorization.id}`).set(intruder.auth)).status).toBe(404);
    const pinned = await createPat(t, user, { scopes: ['tokens:delete'], workspace_id: user.workspace.id });
    expect((await t.http().delete(`/api/v1/me/authorizations/${authorization.id}`).set('X-Api-Key', pinned.token)).status).toBe(403);
    const narrow = await createPat(t, user, { scopes: ['tokens:read'] });
    const narrowRes = await t.http().delete(`/api/v1/me/authorizations/${authorization.id}`).set('X-Api-Key', narrow.token);
    expect(narrowRes.status).toBe(403);
    expect(narrowRes.body.meta.required_scopes).toEqual(['tokens:delete']);
    expect((await t.http().get('/api/v1/me/authorizations').set(bearer(tokens.access_token))).status).toBe(403);

    expect((await t.http().get('/api/v1/posts').set(bearer(tokens.access_token))).status).toBe(200);
    expect((await t.http().delete(`/api/v1/me/authorizations/${authorization.id}`).set(user.auth)).status).toBe(204);
    expect((await t.http().get('/api/v1/posts').set(bearer(tokens.access_token))).status).toBe(401);
    await expect(client.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await t.http().get('/api/v1/me/authorizations').set(user.auth)).body.data).toEqual([]);
    expect((await t.http().delete(`/api/v1/me/authorizations/${authorization.id}`).set(user.auth)).status).toBe(404);
    expect((await t.http().get('/api/v1/me/authorizations/bogus').set(user.auth)).status).toBe(404);
  });
});

describe('The sign-in and consent pages under attack', () => {
  async function signInPage(): Promise<{ browser: Browser; page: Awaited<ReturnType<Browser['follow']>>; action: string; csrf: string }> {
    const request = await authorizationRequest(await discover(t, app), app.redirectUri, 'openid posts:read');
    const browser = new Browser(t.url);
    const page = await browser.follow(request.url.href);
    const form = formsOf(page.html).find((f) => f.action.endsWith('/login'))!;
    return { browser, page, action: form.action, csrf: form.fields.csrf };
  }

  it('refuses a post without its CSRF token, with a wrong one, or from another origin', async () => {
    const { browser, action, csrf } = await signInPage();
    const body = (fields: Record<string, string>) => new URLSearchParams({ email: owner.user.email, password: owner.password, ...fields }).toString();
    expect((await browser.request(action, { method: 'POST', body: body({}) })).status).toBe(403);
    expect((await browser.request(action, { method: 'POST', body: body({ csrf: `${csrf.slice(0, -2)}AA` }) })).status).toBe(403);
    const crossSite = await browser.request(action, { method: 'POST', body: body({ csrf }), headers: { origin: 'https://evil.example' } });
    expect(crossSite.status).toBe(403);
    expect(crossSite.html).toContain('another site');
    // None of them signed anyone in: the right post still works.
    const ok = await browser.request(action, { method: 'POST', body: body({ csrf }) });
    expect(ok.status).toBe(303);
  });

  it('answers hostile forms with a 4xx page, never a 500', async () => {
    const { browser, action, csrf } = await signInPage();
    const post = (body: string, headers: Record<string, string> = {}) => browser.request(action, { method: 'POST', body, headers });
    expect((await post(new URLSearchParams({ csrf, email: 'a\u0000@b.c', password: 'x' }).toString())).status).toBe(400);
    expect((await post(new URLSearchParams({ csrf, email: 'a@b.c', password: 'x'.repeat(20_000) }).toString())).status).toBe(413);
    expect((await post(JSON.stringify({ csrf, email: 'a@b.c', password: 'x' }), { 'content-type': 'application/json' })).status).toBe(415);
    expect((await browser.request(action)).status).toBe(405);
    const wrong = await post(new URLSearchParams({ csrf, email: '"><script>alert(1)</script>@x.y', password: 'nope' }).toString());
    expect(wrong.status).toBe(401);
    expect(wrong.html).not.toContain('<script>alert(1)');
    expect(wrong.html).toContain('The e-mail or password is wrong.');
  });

  it('a page of another interaction, or one with no interaction cookie, is a 400 page', async () => {
    const first = await signInPage();
    const second = await signInPage();
    const foreign = await first.browser.request(second.action, { method: 'POST', body: new URLSearchParams({ csrf: second.csrf, email: owner.user.email, password: owner.password }).toString() });
    expect(foreign.status).toBe(400);
    const bare = await new Browser(t.url).request(first.action, { method: 'POST', body: new URLSearchParams({ csrf: first.csrf, email: owner.user.email, password: owner.password }).toString() });
    expect(bare.status).toBe(400);
    expect(bare.html).toContain('expired');
  });

  it('the sign-in has /auth/login\'s limit: the 11th attempt in 15 minutes is 429', async () => {
    const limited = await startIssuerApp({ RATE_LIMIT_ENABLED: 'true' });
    try {
      const victim = await registerAccount(limited);
      const c = await registerClient(limited, victim);
      const request = await authorizationRequest(await discover(limited, c), c.redirectUri, 'openid');
      const browser = new Browser(limited.url);
      const page = await browser.follow(request.url.href);
      const form = formsOf(page.html).find((f) => f.action.endsWith('/login'))!;
      const statuses: number[] = [];
      for (let i = 0; i < 11; i++) {
        const res = await browser.request(form.action, { method: 'POST', body: new URLSearchParams({ csrf: form.fields.csrf, email: victim.user.email, password: `wrong ${i}` }).toString() });
        statuses.push(res.status);
        if (res.status === 429) expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      }
      expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
      expect(statuses[10]).toBe(429);
    } finally {
      await limited.close();
    }
  });
});

describe('Signing-key rotation [POST /admin/oauth/signing-keys/rotate]', () => {
  it('the next key signs, the old one stays published, and only operators may rotate', async () => {
    const before = (await authorizeAndExchange(t, app, owner, 'openid')).tokens.id_token!;
    const jwksBefore = (await t.http().get('/oauth/jwks')).body.keys.map((k: { kid: string }) => k.kid);
    expect(jwksBefore[0]).toBe(kidOf(before));

    expect((await t.http().post('/api/v1/admin/oauth/signing-keys/rotate').set(owner.auth)).status).toBe(404);
    const operator = await makeOperator(await registerAccount(t));
    const rotated = await t.http().post('/api/v1/admin/oauth/signing-keys/rotate').set(operator.auth);
    expect(rotated.status).toBe(200);
    expect(rotated.body.data).toMatchObject({ active: jwksBefore[1], retired: expect.arrayContaining([jwksBefore[0]]) });

    const jwksAfter = (await t.http().get('/oauth/jwks')).body.keys.map((k: { kid: string }) => k.kid);
    expect(jwksAfter).toEqual(expect.arrayContaining([...jwksBefore, rotated.body.data.next]));
    const after = (await authorizeAndExchange(t, app, owner, 'openid')).tokens;
    expect(kidOf(after.id_token!)).toBe(jwksBefore[1]);
    // openid-client verified the new ID token against the JWKS; tokens issued before still work.
    expect(after.claims()).toMatchObject({ sub: owner.user.id });
  });
});

describe('A changed ENCRYPTION_KEY', () => {
  it('retires the signing keys it cannot open and makes new ones: the provider keeps working', async () => {
    const stack = await isolatedStack();
    try {
      const first = await startIssuerApp({ ...stack.env, ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64') });
      const before = (await first.http().get('/oauth/jwks')).body.keys.map((k: { kid: string }) => k.kid);
      await first.close();
      const second = await startIssuerApp({ ...stack.env, ENCRYPTION_KEY: Buffer.alloc(32, 2).toString('base64') });
      try {
        const jwks = await second.http().get('/oauth/jwks');
        expect(jwks.status).toBe(200);
        const after = jwks.body.keys.map((k: { kid: string }) => k.kid);
        expect(after).toHaveLength(2);
        expect(after.some((kid: string) => before.includes(kid))).toBe(false);
        const user = await registerAccount(second);
        const c = await registerClient(second, user);
        const { tokens } = await authorizeAndExchange(second, c, user, 'openid posts:read');
        expect(kidOf(tokens.id_token!)).toBe(after[0]);
      } finally {
        await second.close();
      }
    } finally {
      await stack.drop();
    }
  });
});

describe('Account recovery and the hourly purge', () => {
  let worker: INestApplicationContext;
  beforeAll(async () => {
    // The real worker (its maintenance queue purges OAuth tokens; its mail queue sends the reset token to the development mailbox).
    worker = await startTestWorker({ WORKER_QUEUES: 'mail,maintenance' });
  });
  afterAll(async () => {
    await worker?.close();
  });

  it('a password reset ends every app authorization, and proves the e-mail (email_verified)', async () => {
    const user = await registerAccount(t);
    const { config, tokens } = await authorizeAndExchange(t, app, user, 'openid email posts:read');
    expect((await client.fetchUserInfo(config, tokens.access_token, user.user.id)).email_verified).toBe(false);

    await t.http().post('/api/v1/auth/password/forgot').send({ email: user.user.email });
    const token = await resetTokenFor(t, user.user.email);
    expect((await t.http().post('/api/v1/auth/password/reset').send({ token, password: 'a brand new password' })).status).toBe(200);
    expect((await t.http().get('/api/v1/posts').set(bearer(tokens.access_token))).status).toBe(401);
    await expect(client.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });

    const again = await authorizeAndExchange(t, app, { ...user, password: 'a brand new password' }, 'openid email posts:read');
    expect(await client.fetchUserInfo(again.config, again.tokens.access_token, user.user.id)).toMatchObject({ email: user.user.email, email_verified: true });
  });

  it("a password reset ends the provider's sign-in: a browser signed in with the old password gets the sign-in page, not a consent", async () => {
    const user = await registerAccount(t);
    const config = await discover(t, app);
    // Whoever knew the password signed in on the provider's page in their own browser.
    const thief = new Browser(t.url);
    await consent(thief, await authorizationRequest(config, app.redirectUri, 'openid posts:read'), { email: user.user.email, password: user.password }, user.workspace.id);

    await t.http().post('/api/v1/auth/password/forgot').send({ email: user.user.email });
    const token = await resetTokenFor(t, user.user.email);
    expect((await t.http().post('/api/v1/auth/password/reset').send({ token, password: 'a brand new password' })).status).toBe(200);
    const page = await thief.follow((await authorizationRequest(config, app.redirectUri, 'openid posts:read')).url.href);
    expect(page.location).toBeNull();
    expect(formsOf(page.html).some((f) => f.action.endsWith('/confirm'))).toBe(false);
    expect(formsOf(page.html).some((f) => f.action.endsWith('/login'))).toBe(true);
  });

  it('a password reset ends a sign-in waiting at the consent page: its consent is refused and no code is issued', async () => {
    const user = await registerAccount(t);
    const config = await discover(t, app);
    // Whoever knew the password signed in on the provider's page and stopped at the consent page.
    const thief = new Browser(t.url);
    let page = await thief.follow((await authorizationRequest(config, app.redirectUri, 'openid posts:read')).url.href);
    page = await thief.submit(page, '/login', { email: user.user.email, password: user.password });
    expect(formsOf(page.html).some((f) => f.action.endsWith('/confirm'))).toBe(true);

    await t.http().post('/api/v1/auth/password/forgot').send({ email: user.user.email });
    const token = await resetTokenFor(t, user.user.email);
    expect((await t.http().post('/api/v1/auth/password/reset').send({ token, password: 'a brand new password' })).status).toBe(200);

    // The consent it sends now is refused, and the page no longer offers one.
    const landed = await thief.submit(page, '/confirm', { workspace: user.workspace.id });
    expect(landed.status).toBe(401);
    expect(landed.location).toBeNull();
    expect(landed.html).toContain('signed out');
    const reloaded = await thief.follow(page.url);
    expect(reloaded.status).toBeGreaterThanOrEqual(400);
    expect(formsOf(reloaded.html).some((f) => f.action.endsWith('/confirm'))).toBe(false);
    const db = new Client({ connectionString: inject('databaseUrl') });
    await db.connect();
    try {
      const { rows } = await db.query(`SELECT count(*)::int AS n FROM oauth_grants WHERE user_id = $1`, [user.user.id]);
      expect(rows[0].n).toBe(0);
    } finally {
      await db.end();
    }
  });

  it('a sign-in through the Tessera session of the browser ends at the consent page when that session is signed out everywhere', async () => {
    const user = await registerAccount(t);
    const config = await discover(t, app);
    const browser = new Browser(t.url);
    // Signed in to Tessera in this browser (session cookie): the provider goes straight on to consent.
    const login = await t.http().post('/api/v1/auth/login').send({ email: user.user.email, password: user.password, session: true });
    expect(login.status).toBe(200);
    for (const line of login.headers['set-cookie'] as unknown as string[]) (browser as unknown as { store(l: string, p: string): void }).store(line, '/');
    const page = await browser.follow((await authorizationRequest(config, app.redirectUri, 'openid posts:read')).url.href);
    expect(formsOf(page.html).some((f) => f.action.endsWith('/confirm'))).toBe(true);

    // Signed out everywhere (from another device, with the account's token).
    expect((await t.http().delete('/api/v1/me/sessions').set(user.auth)).status).toBeLessThan(300);
    // The consent page, shown again, says so; the consent sent from the page as it was is refused too.
    const shown = await browser.follow(page.url);
    expect(shown.status).toBe(401);
    expect(formsOf(shown.html).some((f) => f.action.endsWith('/confirm'))).toBe(false);
    const landed = await browser.submit(page, '/confirm', { workspace: user.workspace.id });
    expect(landed.status).toBeGreaterThanOrEqual(400);
    expect(landed.location).toBeNull();
  });

  it('forgets tokens and grants a day after they expired', async () => {
    const user = await registerAccount(t);
    const { tokens } = await authorizeAndExchange(t, app, user, 'openid posts:read');
    const db = new Client({ connectionString: inject('databaseUrl') });
    await db.connect();
    try {
      await db.query(`UPDATE oauth_grants SET expires_at = now() - interval '2 days' WHERE user_id = $1`, [user.user.id]);
      await db.query(`UPDATE oauth_tokens SET expires_at = now() - interval '2 days' WHERE grant_id IN (SELECT id FROM oauth_grants WHERE user_id = $1)`, [user.user.id]);
      expect((await t.http().get('/api/v1/posts').set(bearer(tokens.access_token))).status).toBe(401);
      expect(await t.app.get(OAuthGrantsService).purgeExpired()).toBeGreaterThanOrEqual(3);
      const { rows } = await db.query(`SELECT count(*)::int AS n FROM oauth_grants WHERE user_id = $1`, [user.user.id]);
      expect(rows[0].n).toBe(0);
    } finally {
      await db.end();
    }
  });
});
