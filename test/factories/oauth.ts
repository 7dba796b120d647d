import { createServer } from 'node:net';
import * as client from 'openid-client';
import { expect } from 'vitest';
import type { Account } from './accounts';
import { startTestApp, TestApp } from '../utils/app';

/** A free TCP port on loopback (there is a moment between closing it and listening on it again). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface IssuerApp extends TestApp {
  /** The OAuth provider's issuer identifier: {url}/oauth. */
  issuer: string;
}

/**
 * The API on a port known in advance, so that the provider's issuer (PUBLIC_URL + /oauth) is its
 * real address. PUBLIC_URL is process-wide (configureHttp: absolute links and redirect URIs), so
 * an app started later in the same spec reconfigures it.
 */
export async function startIssuerApp(overrides: Record<string, string> = {}): Promise<IssuerApp> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const t = await startTestApp({ PORT: String(port), PUBLIC_URL: url, ...overrides });
  return Object.assign(t, { issuer: `${url}/oauth` });
}

export const REDIRECT_URI = 'http://127.0.0.1:8765/callback';

export interface RegisteredClient {
  id: string;
  secret: string | null;
  redirectUri: string;
}

/** Registers an OAuth client for `account` (confidential unless told). */
export async function registerClient(t: TestApp, account: Account, body: Record<string, unknown> = {}): Promise<RegisteredClient> {
  const res = await t.http().post('/api/v1/oauth-clients').set(account.auth).send({ name: 'Test App', type: 'confidential', redirect_uris: [REDIRECT_URI], scopes: ['posts:read', 'posts:write', 'users:read'], ...body });
  if (res.status !== 201) throw new Error(`register client failed: ${res.status} ${JSON.stringify(res.body)}`);
  const redirectUris = res.body.data.redirect_uris as string[];
  return { id: res.body.data.id, secret: res.body.data.client_secret, redirectUri: redirectUris[0] };
}

/** openid-client's view of the provider for this client (discovery over plain http on loopback). */
export function discover(app: IssuerApp, c: RegisteredClient, secret = c.secret): Promise<client.Configuration> {
  return client.discovery(new URL(app.issuer), c.id, undefined, secret ? client.ClientSecretBasic(secret) : client.None(), { execute: [client.allowInsecureRequests] });
}

export interface Page {
  status: number;
  url: string;
  html: string;
  headers: Headers;
  /** The Location of a redirect, absolute. */
  location: string | null;
}

export interface Form {
  action: string;
  fields: Record<string, string>;
  /** The values of each radio group, in page order. */
  radios: Record<string, string[]>;
}

const unescape = (s: string) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/** The forms of a page as a browser sees them: action, hidden and prefilled fields, radio choices. */
export function formsOf(html: string): Form[] {
  return [...html.matchAll(/<form method="post" action="([^"]*)">([\s\S]*?)<\/form>/g)].map(([, action, body]) => {
    const fields: Record<string, string> = {};
    const radios: Record<string, string[]> = {};
    for (const [input] of body.matchAll(/<input [^>]*>/g)) {
      const attr = (name: string) => new RegExp(`\\b${name}="([^"]*)"`).exec(input)?.[1];
      const name = attr('name');
      if (!name) continue;
      const value = unescape(attr('value') ?? '');
      if (attr('type') === 'radio') {
        (radios[name] ??= []).push(value);
        if (/\bchecked\b/.test(input)) fields[name] = value;
      } else {
        fields[name] = value;
      }
    }
    return { action: unescape(action), fields, radios };
  });
}

/**
 * A browser, as far as the provider's pages need one: cookies kept by path, redirects followed
 * one by one, forms submitted with the page's own fields and the browser's Origin header.
 */
export class Browser {
  private readonly cookies = new Map<string, { value: string; path: string }>();

  constructor(readonly origin: string) {}

  cookieNames(): string[] {
    return [...this.cookies.keys()].map((k) => k.split('|')[0]);
  }

  async request(url: string, init: { method?: string; body?: string; headers?: Record<string, string> } = {}): Promise<Page> {
    const target = new URL(url, this.origin);
    const cookie = [...this.cookies.entries()]
      .filter(([, c]) => target.pathname === c.path || target.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`) || c.path === '/')
      .map(([key, c]) => `${key.split('|')[0]}=${c.value}`)
      .join('; ');
    const res = await fetch(target, {
      method: init.method ?? 'GET',
      redirect: 'manual',
      body: init.body,
      headers: { ...(cookie ? { cookie } : {}), ...(init.method === 'POST' ? { origin: this.origin, 'content-type': 'application/x-www-form-urlencoded' } : {}), ...init.headers },
    });
    for (const line of res.headers.getSetCookie()) this.store(line, target.pathname);
    const location = res.headers.get('location');
    return { status: res.status, url: target.href, html: await res.text(), headers: res.headers, location: location ? new URL(location, target).href : null };
  }

  /** GETs `url` and follows redirects while they stay on this origin; returns the last answer. */
  async follow(url: string): Promise<Page> {
    let page = await this.request(url);
    for (let hops = 0; page.location && new URL(page.location).origin === this.origin && hops < 10; hops++) page = await this.request(page.location);
    return page;
  }

  /** Submits a form of `page` (the first whose action ends with `actionEnd`), with `changes` on top of its fields. */
  async submit(page: Page, actionEnd: string, changes: Record<string, string> = {}, headers: Record<string, string> = {}): Promise<Page> {
    const form = formsOf(page.html).find((f) => f.action.endsWith(actionEnd));
    if (!form) throw new Error(`no form ending in ${actionEnd} on ${page.url} (${page.status}): ${page.html.slice(0, 500)}`);
    const res = await this.request(form.action, { method: 'POST', body: new URLSearchParams({ ...form.fields, ...changes }).toString(), headers });
    if (!res.location || new URL(res.location).origin !== this.origin) return res;
    return this.follow(res.location);
  }

  private store(line: string, requestPath: string): void {
    const [pair, ...attributes] = line.split(';').map((s) => s.trim());
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    const path = attributes.find((a) => a.toLowerCase().startsWith('path='))?.slice(5) ?? requestPath.replace(/\/[^/]*$/, '') ?? '/';
    const expired = attributes.some((a) => /^max-age=0$/i.test(a) || (/^expires=/i.test(a) && new Date(a.slice(8)).getTime() < Date.now()));
    const key = `${name}|${path}`;
    if (expired || value === '') this.cookies.delete(key);
    else this.cookies.set(key, { value, path });
  }
}

export interface AuthorizationRequest {
  url: URL;
  verifier: string;
  state: string;
  nonce: string;
}

/** An authorization code + PKCE request as openid-client builds it. */
export async function authorizationRequest(config: client.Configuration, redirectUri: string, scope: string, extra: Record<string, string> = {}): Promise<AuthorizationRequest> {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...extra,
  });
  return { url, verifier, state, nonce };
}

/**
 * A user goes through the provider's pages as a browser would: sign-in form (unless signed in
 * already in this browser), consent form with `workspaceId` picked, and lands on the redirect URI.
 */
export async function consent(browser: Browser, request: AuthorizationRequest, who: { email: string; password: string }, workspaceId: string): Promise<URL> {
  let page = await browser.follow(request.url.href);
  if (formsOf(page.html).some((f) => f.action.endsWith('/login'))) {
    page = await browser.submit(page, '/login', { email: who.email, password: who.password });
  }
  expect(page.status, page.html.slice(0, 400)).toBe(200);
  const landed = await browser.submit(page, '/confirm', { workspace: workspaceId });
  if (!landed.location) throw new Error(`consent did not redirect: ${landed.status} ${landed.html.slice(0, 500)}`);
  return new URL(landed.location);
}

/** The whole flow for `account` in its workspace: tokens as openid-client returns them. */
export async function authorizeAndExchange(
  app: IssuerApp,
  c: RegisteredClient,
  account: Account,
  scope = 'openid offline_access posts:read posts:write users:read',
  workspaceId = account.workspace.id,
): Promise<{ config: client.Configuration; tokens: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers }> {
  const config = await discover(app, c);
  const request = await authorizationRequest(config, c.redirectUri, scope);
  const callback = await consent(new Browser(app.url), request, { email: account.user.email, password: account.password }, workspaceId);
  const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: request.verifier, expectedState: request.state, expectedNonce: request.nonce });
  return { config, tokens };
}
