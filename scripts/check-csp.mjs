// npm run check:csp — opens Swagger UI (/docs) and the queues dashboard (/admin/queues, as a platform
// operator) in headless Chromium, on Express and on Fastify, and reports whether each page rendered
// and every Content-Security-Policy violation the browser logged; then opens a magic link's page and
// presses its button, which must sign the browser in (the browser's own Origin on the form's POST),
// and signs in on the OAuth provider's sign-in page, which must lead on to its consent page.
// `npm test` runs it last (and installs chromium when missing). Needs Debian's chromium (apt-get install chromium); drives it over the DevTools protocol with
// undici's WebSocket.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { WebSocket } from 'undici';
import { api, freePort, startApi, startServices } from './bench-env.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A headless Chromium and one DevTools session on its first page. */
async function openBrowser() {
  const port = 9300 + Math.floor(Math.random() * 500);
  const child = spawn(CHROMIUM, ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run', `--remote-debugging-port=${port}`, `--user-data-dir=${join(root, '.data', `chromium-${port}`)}`, 'about:blank'], { stdio: 'ignore' });
  let url;
  for (let i = 0; i < 100 && !url; i++) {
    await sleep(200);
    url = await fetch(`http://127.0.0.1:${port}/json/list`).then((r) => r.json()).then((list) => list.find((t) => t.type === 'page')?.webSocketDebuggerUrl).catch(() => undefined);
  }
  if (!url) throw new Error(`${CHROMIUM} did not start`);
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => { ws.addEventListener('open', resolve); ws.addEventListener('error', reject); });
  let id = 0;
  const pending = new Map();
  const events = [];
  ws.addEventListener('message', (m) => {
    const msg = JSON.parse(m.data);
    if (msg.id && pending.has(msg.id)) { pending.get(msg.id)(msg.result); pending.delete(msg.id); } else events.push(msg);
  });
  const send = (method, params = {}) => new Promise((r) => { const i = ++id; pending.set(i, r); ws.send(JSON.stringify({ id: i, method, params })); });
  for (const domain of ['Runtime', 'Log', 'Network', 'Page']) await send(`${domain}.enable`);
  return { send, events, close: () => { ws.close(); child.kill(); } };
}

const services = await startServices();
let failed = false;
try {
  for (const adapter of ['express', 'fastify']) {
    const port = await freePort();
    const { app, base } = await startApi(services, adapter, { PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}` });
    const browser = await openBrowser();
    try {
      const operator = await api(base, 'POST', '/auth/register', { name: 'CSP check', email: `csp-${Date.now()}@example.test`, password: 'csp check password' });
      const db = new pg.Client({ connectionString: services.databaseUrl });
      await db.connect();
      await db.query('UPDATE users SET is_operator = true WHERE id = $1', [operator.user.id]);
      // A link as the worker would mail it (no worker runs here).
      const magicToken = `tsr_ml_${randomBytes(32).toString('base64url')}`;
      await db.query(
        `INSERT INTO magic_links (id, user_id, token_hash, expires_at, used_at, created_at) VALUES ($1, $2, $3, now() + interval '15 minutes', NULL, now())`,
        [`mgl_csp${Date.now()}`, operator.user.id, createHash('sha256').update(magicToken).digest()],
      );
      await db.end();
      const opened = await fetch(`${base}/api/v1/admin/queues/session`, { method: 'POST', headers: { authorization: `Bearer ${operator.access_token}` } });
      const value = opened.headers.getSetCookie().find((c) => c.startsWith('tessera_queues=')).split(';')[0].slice('tessera_queues='.length);
      await browser.send('Network.setCookie', { name: 'tessera_queues', value, domain: new URL(base).hostname, path: '/admin/queues' });
      const pages = [
        ['/docs', "document.querySelector('.swagger-ui .info .title')?.textContent ?? ''", /Tessera API/],
        ['/admin/queues', 'document.body.innerText', /webhooks[\s\S]*Jobs/],
      ];
      for (const [path, probe, expected] of pages) {
        browser.events.length = 0;
        await browser.send('Page.navigate', { url: `${base}${path}` });
        let text = '';
        for (let i = 0; i < 40 && !expected.test(text); i++) {
          await sleep(250);
          text = (await browser.send('Runtime.evaluate', { expression: probe })).result?.value ?? '';
        }
        const violations = browser.events.map((e) => JSON.stringify(e.params ?? {})).filter((e) => /Content Security Policy|Refused to/.test(e));
        const ok = expected.test(text) && violations.length === 0;
        failed ||= !ok;
        console.log(`${adapter} ${path}: ${expected.test(text) ? 'rendered' : 'NOT RENDERED'}, ${violations.length} CSP violation(s)`);
        for (const v of violations) console.log(`  ${v.slice(0, 300)}`);
      }
      browser.events.length = 0;
      await browser.send('Page.navigate', { url: `${base}/api/v1/auth/magic-link/verify?token=${magicToken}` });
      let button = false;
      for (let i = 0; i < 40 && !button; i++) {
        await sleep(250);
        button = (await browser.send('Runtime.evaluate', { expression: "document.querySelector('form button')?.textContent === 'Sign in'" })).result?.value === true;
      }
      const violations = browser.events.map((e) => JSON.stringify(e.params ?? {})).filter((e) => /Content Security Policy|Refused to/.test(e));
      await browser.send('Runtime.evaluate', { expression: "document.querySelector('form button')?.click()" });
      let answer = '';
      for (let i = 0; i < 40 && !/"success"/.test(answer); i++) {
        await sleep(250);
        answer = (await browser.send('Runtime.evaluate', { expression: 'document.body?.innerText ?? ""' })).result?.value ?? '';
      }
      const { cookies } = await browser.send('Network.getCookies', { urls: [base] });
      const signedIn = /"csrf_token"/.test(answer) && cookies.some((c) => c.name === 'tessera_session');
      const ok = button && violations.length === 0 && signedIn;
      failed ||= !ok;
      console.log(`${adapter} magic link page: ${button ? 'rendered' : 'NOT RENDERED'}, ${violations.length} CSP violation(s), its button ${signedIn ? 'signed in' : `did NOT sign in: ${answer.slice(0, 200)}`}`);
      for (const v of violations) console.log(`  ${v.slice(0, 300)}`);

      // The OAuth provider's sign-in page, as a browser posts it (its Origin as the page's
      // Referrer-Policy lets it send): signing in leads to the consent page.
      await browser.send('Network.clearBrowserCookies');
      const app3p = await api(base, 'POST', '/oauth-clients', { name: 'CSP check app', type: 'public', redirect_uris: ['http://127.0.0.1:8765/callback'], scopes: ['posts:read'] }, { authorization: `Bearer ${operator.access_token}` });
      const challenge = createHash('sha256').update('csp-check-verifier-0123456789-0123456789-abcdef').digest('base64url');
      const authorize = `${base}/oauth/auth?${new URLSearchParams({ client_id: app3p.id, redirect_uri: 'http://127.0.0.1:8765/callback', response_type: 'code', scope: 'openid posts:read', code_challenge: challenge, code_challenge_method: 'S256', state: 'csp-check' })}`;
      browser.events.length = 0;
      await browser.send('Page.navigate', { url: authorize });
      let form = false;
      for (let i = 0; i < 40 && !form; i++) {
        await sleep(250);
        form = (await browser.send('Runtime.evaluate', { expression: "!!document.querySelector('input[name=password]')" })).result?.value === true;
      }
      await browser.send('Runtime.evaluate', {
        expression: `document.querySelector('input[name=email]').value = ${JSON.stringify(operator.user.email)}; document.querySelector('input[name=password]').value = 'csp check password'; document.querySelector('form').submit();`,
      });
      let consent = '';
      for (let i = 0; i < 40 && !/Allow CSP check app/.test(consent); i++) {
        await sleep(250);
        consent = (await browser.send('Runtime.evaluate', { expression: 'document.body?.innerText ?? ""' })).result?.value ?? '';
      }
      const oauthViolations = browser.events.map((e) => JSON.stringify(e.params ?? {})).filter((e) => /Content Security Policy|Refused to/.test(e));
      const consented = /Allow CSP check app/.test(consent);
      failed ||= !(form && consented && oauthViolations.length === 0);
      console.log(`${adapter} OAuth sign-in page: ${form ? 'rendered' : 'NOT RENDERED'}, ${oauthViolations.length} CSP violation(s), signing in ${consented ? 'led to the consent page' : `did NOT lead to consent: ${consent.slice(0, 200)}`}`);
      for (const v of oauthViolations) console.log(`  ${v.slice(0, 300)}`);
    } finally {
      browser.close();
      await app.close();
    }
  }
} finally {
  await services.stop();
}
process.exit(failed ? 1 : 0);
