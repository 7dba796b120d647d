import type { Response } from 'supertest';
import type { TestApp } from '../utils/app';
import type { Account } from './accounts';

/** A signed-in browser: its cookies, its CSRF token, and the headers a same-origin page sends. */
export interface Browser {
  sessionId: string;
  csrfToken: string;
  /** The Cookie header a browser would send: tessera_session and tessera_csrf. */
  cookie: string;
  /** Cookie only: what a GET sends. */
  read: Record<string, string>;
  /** Cookie, Origin of the API itself and X-CSRF-Token: what a same-origin page's POST sends. */
  write: Record<string, string>;
}

/** Every Set-Cookie of a response, by name: value and attributes. */
export function setCookies(res: Response): Map<string, { value: string; attributes: string[] }> {
  const raw = res.headers['set-cookie'] as unknown as string[] | string | undefined;
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  return new Map(
    list.map((line) => {
      const [pair, ...attributes] = line.split(';').map((p) => p.trim());
      const at = pair.indexOf('=');
      return [pair.slice(0, at), { value: pair.slice(at + 1), attributes }];
    }),
  );
}

/** The browser a sign-in answer (cookies in Set-Cookie, csrf_token in the body) leaves behind. */
export function browserFrom(t: TestApp, res: Response, origin = t.url): Browser {
  const cookies = setCookies(res);
  const session = cookies.get('tessera_session')?.value;
  const csrf = cookies.get('tessera_csrf')?.value;
  if (!session || !csrf) throw new Error(`no session cookies: ${res.status} ${JSON.stringify(res.body)}`);
  const cookie = `tessera_session=${session}; tessera_csrf=${csrf}`;
  return { sessionId: res.body.data.session.id, csrfToken: csrf, cookie, read: { Cookie: cookie }, write: { Cookie: cookie, Origin: origin, 'X-CSRF-Token': csrf } };
}

/** Signs `account` in with its password for a browser session (`"session": true`). */
export async function signInBrowser(t: TestApp, account: Account, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): Promise<Browser> {
  const res = await t.http().post('/api/v1/auth/login').set(headers).send({ email: account.user.email, password: account.password, session: true, ...extra });
  if (res.status !== 200) throw new Error(`browser sign-in failed: ${res.status} ${JSON.stringify(res.body)}`);
  return browserFrom(t, res);
}
