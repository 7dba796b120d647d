// npm run bench:oauth — the built-in OAuth provider, in one run on one adapter (BENCH_ADAPTERS,
// default express): whole authorization-code + PKCE flows per second (sign-in form, consent form,
// code exchange; the argon2id password check is most of it), refresh-token rotations per second,
// and GET /api/v1/posts with the OAuth access token against the same call with a PAT.
import { createServer } from 'node:net';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { api, benchEnv, opsPerSecond, startServices } from './bench-env.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { createApp } = await import(join(root, 'dist/src/bootstrap.js'));
const { loadConfig } = await import(join(root, 'dist/src/config/config.js'));
const client = await import('openid-client');

const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const adapters = (process.env.BENCH_ADAPTERS ?? 'express').split(',');
const fmt = (n) => Math.round(n).toLocaleString('en-US');

function freePort() {
  return new Promise((done, fail) => {
    const s = createServer().once('error', fail).listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => done(port));
    });
  });
}

/** The provider's forms, submitted as a browser would: cookies by path, Origin, the page's hidden fields. */
async function authorize(base, url, email, password, workspaceId) {
  const jar = new Map();
  const send = async (target, init = {}) => {
    const u = new URL(target, base);
    const cookie = [...jar.entries()].filter(([, c]) => u.pathname.startsWith(c.path)).map(([k, c]) => `${k.split('|')[0]}=${c.value}`).join('; ');
    const res = await fetch(u, { redirect: 'manual', ...init, headers: { ...(cookie ? { cookie } : {}), ...(init.body ? { origin: base, 'content-type': 'application/x-www-form-urlencoded' } : {}) } });
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';').map((s) => s.trim());
      const [name, ...value] = pair.split('=');
      const path = attrs.find((a) => a.toLowerCase().startsWith('path='))?.slice(5) ?? '/';
      jar.set(`${name}|${path}`, { value: value.join('='), path });
    }
    return { location: res.headers.get('location') ? new URL(res.headers.get('location'), u).href : null, html: await res.text() };
  };
  const follow = async (target) => {
    let page = await send(target);
    while (page.location?.startsWith(base)) page = await send(page.location);
    return page;
  };
  const submit = async (page, action, fields) => {
    const form = [...page.html.matchAll(/<form method="post" action="([^"]*)">([\s\S]*?)<\/form>/g)].find((m) => m[1].endsWith(action));
    const csrf = /name="csrf" value="([^"]*)"/.exec(form[2])[1];
    const res = await send(form[1], { method: 'POST', body: new URLSearchParams({ csrf, ...fields }).toString() });
    return res.location?.startsWith(base) ? follow(res.location) : res;
  };
  const signIn = await follow(url);
  const consent = await submit(signIn, '/login', { email, password });
  return (await submit(consent, '/confirm', { workspace: workspaceId })).location;
}

const services = await startServices();
try {
  console.log(`bench:oauth (one process serving and calling; ${seconds} s per run; compare within one run)`);
  for (const adapter of adapters) {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const config = loadConfig({ ...benchEnv(services, adapter), PORT: String(port), PUBLIC_URL: base, RATE_LIMIT_ENABLED: 'false' });
    const app = await createApp(config);
    await app.listen(port, '127.0.0.1');
    try {
      const email = `bench-${Date.now()}@example.test`;
      const reg = await api(base, 'POST', '/auth/register', { name: 'Bench', email, password: 'bench password' });
      const auth = { authorization: `Bearer ${reg.access_token}` };
      const registered = await api(base, 'POST', '/oauth-clients', { name: 'Bench App', type: 'confidential', redirect_uris: ['http://127.0.0.1:8765/cb'], scopes: ['posts:read'] }, auth);
      const pat = (await api(base, 'POST', '/me/tokens', { name: 'bench', scopes: ['posts:read'], workspace_id: reg.workspace.id }, auth)).token;
      const oidc = await client.discovery(new URL(`${base}/oauth`), registered.id, undefined, client.ClientSecretBasic(registered.client_secret), { execute: [client.allowInsecureRequests] });

      const flow = async () => {
        const verifier = client.randomPKCECodeVerifier();
        const state = client.randomState();
        const url = client.buildAuthorizationUrl(oidc, { redirect_uri: 'http://127.0.0.1:8765/cb', scope: 'openid posts:read', code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state });
        const callback = await authorize(base, url.href, email, 'bench password', reg.workspace.id);
        return client.authorizationCodeGrant(oidc, new URL(callback), { pkceCodeVerifier: verifier, expectedState: state });
      };
      const tokens = await flow();
      const flows = await opsPerSecond(flow, seconds * 1000);

      let refreshToken = tokens.refresh_token;
      const refreshes = await opsPerSecond(async () => {
        refreshToken = (await client.refreshTokenGrant(oidc, refreshToken)).refresh_token;
      }, seconds * 1000);

      const fresh = await flow();
      const get = (authorization) => async () => {
        const res = await fetch(`${base}/api/v1/posts?per_page=5`, { headers: { authorization } });
        if (res.status !== 200) throw new Error(`GET /posts: ${res.status}`);
        await res.arrayBuffer();
      };
      const withOAuth = await opsPerSecond(get(`Bearer ${fresh.access_token}`), seconds * 1000, 16);
      const withPat = await opsPerSecond(get(`Bearer ${pat}`), seconds * 1000, 16);

      console.log(`  ${adapter}: authorization-code + PKCE flows (2 forms, argon2id sign-in, code exchange): ${flows.toFixed(1)}/s (${(1000 / flows).toFixed(0)} ms each)`);
      console.log(`  ${adapter}: refresh-token rotations: ${fmt(refreshes)}/s (${(1000 / refreshes).toFixed(1)} ms each)`);
      console.log(`  ${adapter}: GET /api/v1/posts?per_page=5, 16 in flight: OAuth token ${fmt(withOAuth)} req/s, PAT ${fmt(withPat)} req/s (ratio ${(withOAuth / withPat).toFixed(2)})`);
    } finally {
      await app.close();
    }
  }
} finally {
  await services.stop();
}
