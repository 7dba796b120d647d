import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import { isEmail } from 'class-validator';
import { ApiError, ListQuery, RequestLike, clientIp, deriveKey32, errorPage, PAGE_HEADERS } from '@tessera/common';
import type { errors as ProviderErrors, InteractionDetails, KoaContext, KoaMiddleware, Provider } from 'oidc-provider';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { AuditService } from '../audit/audit.service';
import { describeScope } from '../auth/scopes';
import { UsersService } from '../users/users.service';
import { WorkspacesService } from '../workspaces/workspaces.service';
import { consentPage, ConsentWorkspace, loginPage } from './interaction-pages';
import { InteractionSignIn } from './interaction-sign-in';
import { OAuthGrantsService } from './oauth-grants.service';
import { consentScopes, describeOidcScope, isCatalogScope, isOidcScope } from './oauth-scopes';

const FORM_LIMIT_BYTES = 16 * 1024;
const ROUTE = /^\/interaction\/([A-Za-z0-9_-]{1,64})(?:\/(login|confirm|abort))?$/;
/** The provider's authorization endpoint, where every authorization request starts (its resumes are /auth/{uid}). */
const AUTHORIZATION_PATH = '/auth';
/** The consent page lists at most this many of the user's workspaces (by name). */
const WORKSPACES_SHOWN = 100;

/** How the account signed in for an authorization, kept with it (sealed in Redis) until its consent. */
type SignedInWith = { via: 'password'; stamp: string } | { via: 'session' };

/** An answer that is a page: a status and a message for the person in front of the browser. */
class PageError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** A urlencoded form body, read up to FORM_LIMIT_BYTES; no field may hold a NUL character. */
async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') throw new PageError(415, 'Unsupported form', 'This page only accepts the form it shows.');
  if (Number(req.headers['content-length']) > FORM_LIMIT_BYTES) throw new PageError(413, 'Form too large', 'The form is larger than this page accepts.');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > FORM_LIMIT_BYTES) throw new PageError(413, 'Form too large', 'The form is larger than this page accepts.');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks, size).toString('utf8');
  const form = new URLSearchParams(text);
  for (const [key, value] of form) {
    if (key.includes('\u0000') || value.includes('\u0000')) throw new PageError(400, 'Invalid form', 'The form holds a character it may not hold.');
  }
  return form;
}

/** The client's address, by the same trusted-proxy rule as the rest of the API. */
function addressOf(ctx: KoaContext): string {
  const { headers, socket } = ctx.req;
  return clientIp({ method: ctx.method, headers, socket });
}

function send(ctx: KoaContext, status: number, html: string, headers: Record<string, string> = {}): void {
  for (const [name, value] of Object.entries({ ...PAGE_HEADERS, ...headers })) ctx.set(name, value);
  ctx.status = status;
  ctx.type = 'text/html; charset=utf-8';
  ctx.body = html;
}

/**
 * The provider's interaction pages, mounted inside it (Koa middleware before its routes) at
 * /oauth/interaction/{uid}: sign-in, then consent, where the user picks the one workspace the
 * app may act in. Each form is bound to its interaction (the provider's signed cookie) and
 * carries a CSRF token derived from it; a post from another origin is refused.
 */
@Injectable()
export class OAuthInteractions {
  private readonly csrfKey: Buffer;
  private readonly origin: string;

  constructor(
    private readonly signIn: InteractionSignIn,
    private readonly users: UsersService,
    private readonly workspaces: WorkspacesService,
    private readonly grants: OAuthGrantsService,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.csrfKey = deriveKey32(config.encryptionKey.toString('base64'), 'tessera/oauth-interaction-csrf/v1');
    this.origin = new URL(config.oauth.issuer).origin;
  }

  /** The token a form of this interaction must carry: an HMAC of its id, which only this server can make. */
  csrfToken(uid: string): string {
    return createHmac('sha256', this.csrfKey).update(`oauth-interaction:${uid}`).digest('base64url');
  }

  middleware(provider: Provider, errors: typeof ProviderErrors): KoaMiddleware {
    return async (ctx, next) => {
      if (ctx.path === AUTHORIZATION_PATH) await this.endStaleSignIn(ctx, provider);
      const route = ROUTE.exec(ctx.path);
      if (!route) return next();
      const [, uid, action] = route;
      try {
        if (ctx.method !== (action ? 'POST' : 'GET')) throw new PageError(405, 'Not allowed', `This page does not answer ${ctx.method}.`, { Allow: action ? 'POST' : 'GET' });
        if (!action) return await this.show(ctx, provider, uid);
        const form = await readForm(ctx.req);
        this.assertSameSite(ctx, uid, form.get('csrf'));
        const details = await this.details(ctx, provider, uid);
        if (action === 'abort') return await this.abort(ctx, provider);
        if (action === 'login') return await this.login(ctx, provider, details, form);
        return await this.confirm(ctx, provider, details, form);
      } catch (err) {
        if (err instanceof PageError) return send(ctx, err.status, errorPage(err.title, err.message), err.headers);
        if (err instanceof errors.SessionNotFound) {
          return send(ctx, 400, errorPage('Sign-in expired', 'This sign-in request has expired or was already finished. Go back to the app and start again.'));
        }
        if (err instanceof ApiError && err.getStatus() === 429) {
          return send(ctx, 429, errorPage('Too many attempts', err.message), err.headers);
        }
        if (err instanceof ApiError && err.getStatus() === 503) {
          return send(ctx, 503, errorPage('Try again shortly', err.message), err.headers);
        }
        throw err;
      }
    };
  }

  /**
   * The sign-in a consent rests on must still hold when the page is shown and when it is sent:
   * made with a password, the account's password is still that one; made through the browser's
   * Tessera session (or the provider's own sign-in, which counts only with one), that session is
   * still live. A password reset or change, or "sign out everywhere", between the sign-in and the
   * consent used to leave whoever had signed in up to the interaction's 10 minutes to consent.
   */
  private async assertStillSignedIn(ctx: KoaContext, provider: Provider, details: InteractionDetails): Promise<void> {
    const accountId = details.session?.accountId;
    const how = details.lastSubmission?.signedInWith as SignedInWith | undefined;
    const holds = !accountId
      ? false
      : how?.via === 'password'
        ? how.stamp !== '' && how.stamp === (await this.users.passwordStamp(accountId))
        : (await this.signIn.fromSession(ctx.req as unknown as RequestLike)) === accountId;
    if (holds) return;
    await (await provider.Session.get(ctx)).destroy();
    throw new PageError(401, 'Signed out', 'You were signed out since you signed in here (the password was changed, or every session was ended). Go back to the app and start again.');
  }

  /**
   * The provider keeps its own sign-in of a browser (a session in Redis, a day) from one
   * authorization request to the next. It counts only while this browser's Tessera session of the
   * same account is live and bound to no workspace: a password typed on the sign-in page signs in
   * for that one authorization, and a logout, a password reset, "sign out everywhere" or another
   * account signing in to this browser ends it. Otherwise the next request from this browser went
   * on as the account before, with no page at all once it had consented (prompt=none included).
   */
  private async endStaleSignIn(ctx: KoaContext, provider: Provider): Promise<void> {
    const session = await provider.Session.get(ctx);
    if (!session.accountId) return;
    if ((await this.signIn.fromSession(ctx.req as unknown as RequestLike)) === session.accountId) return;
    await session.destroy();
  }

  /** The interaction of this browser (its signed cookie), which must be the one the URL names. */
  private async details(ctx: KoaContext, provider: Provider, uid: string): Promise<InteractionDetails> {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (details.uid !== uid) throw new PageError(400, 'Sign-in expired', 'This page belongs to another sign-in request. Go back to the app and start again.');
    return details;
  }

  /** A form post must come from these pages: a same-origin post (when the browser says) carrying this interaction's token. */
  private assertSameSite(ctx: KoaContext, uid: string, csrf: string | null): void {
    const origin = ctx.get('origin');
    if (origin && origin !== this.origin) throw new PageError(403, 'Request refused', 'This form was sent from another site.');
    const expected = Buffer.from(this.csrfToken(uid));
    const given = Buffer.from(csrf ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new PageError(403, 'Request refused', 'This form is missing its security token. Reload the page and try again.');
    }
  }

  private actions(uid: string): { login: string; confirm: string; abort: string } {
    const base = `${new URL(this.config.oauth.issuer).pathname.replace(/\/$/, '')}/interaction/${uid}`;
    return { login: `${base}/login`, confirm: `${base}/confirm`, abort: `${base}/abort` };
  }

  private async show(ctx: KoaContext, provider: Provider, uid: string): Promise<void> {
    const details = await this.details(ctx, provider, uid);
    if (details.prompt.name === 'login') {
      // A browser already signed in to Tessera (session cookie) goes straight on to consent, unless
      // the app asked for a fresh sign-in (prompt=login, max_age): the ID token's auth_time is the
      // moment of this page, so a sign-in of days ago must not pass for one.
      const fresh = details.prompt.reasons.some((reason) => reason === 'login_prompt' || reason === 'max_age');
      const userId = fresh ? null : await this.signIn.fromSession(ctx.req as unknown as RequestLike);
      if (userId) return this.redirect(ctx, await provider.interactionResult(ctx.req, ctx.res, { login: { accountId: userId, remember: false }, signedInWith: { via: 'session' } satisfies SignedInWith }, { mergeWithLastSubmission: false }));
      return send(ctx, 200, await this.loginHtml(provider, details));
    }
    if (details.prompt.name === 'consent') {
      await this.assertStillSignedIn(ctx, provider, details);
      return send(ctx, 200, await this.consentHtml(provider, details));
    }
    throw new PageError(400, 'Unsupported request', 'This app asked for a step this server does not offer.');
  }

  private async clientName(provider: Provider, details: InteractionDetails): Promise<string> {
    const client = await provider.Client.find(String(details.params.client_id ?? ''));
    return client?.clientName ?? 'this app';
  }

  private async loginHtml(provider: Provider, details: InteractionDetails, problem?: { email: string; error: string; codeError?: boolean }): Promise<string> {
    const a = this.actions(details.uid);
    return loginPage({ clientName: await this.clientName(provider, details), action: a.login, abortAction: a.abort, csrf: this.csrfToken(details.uid), email: problem?.email, error: problem?.error, codeError: problem?.codeError });
  }

  private async consentHtml(provider: Provider, details: InteractionDetails, error?: string): Promise<string> {
    const accountId = details.session!.accountId;
    const user = await this.users.findById(accountId);
    const requested = this.requested(details);
    const a = this.actions(details.uid);
    const list: ListQuery = { mode: { kind: 'page', page: 1, perPage: WORKSPACES_SHOWN }, sort: [{ field: 'name', descending: false }], include: [], filters: {} };
    const memberships = await this.workspaces.listForUser(accountId, list);
    const workspaces: ConsentWorkspace[] = [];
    for (const { workspace } of memberships.items) {
      const access = await this.workspaces.resolveAccess(workspace.id, accountId);
      if (!access?.role) continue;
      workspaces.push({ id: workspace.id, name: workspace.name, slug: workspace.slug, role: access.role, refused: consentScopes(requested, access.roleScopes).refused });
    }
    return consentPage({
      clientName: await this.clientName(provider, details),
      userEmail: user.email,
      scopes: requested.flatMap((scope): Array<{ scope: string; description: string }> =>
        isOidcScope(scope) ? [{ scope, description: describeOidcScope(scope) }] : isCatalogScope(scope) ? [{ scope, description: describeScope(scope) }] : [],
      ),
      workspaces,
      action: a.confirm,
      abortAction: a.abort,
      csrf: this.csrfToken(details.uid),
      error,
    });
  }

  private requested(details: InteractionDetails): string[] {
    return String(details.params.scope ?? '').split(' ').filter(Boolean);
  }

  private async login(ctx: KoaContext, provider: Provider, details: InteractionDetails, form: URLSearchParams): Promise<void> {
    if (details.prompt.name !== 'login') throw new PageError(400, 'Already signed in', 'This sign-in request is past the sign-in step. Go back to the app and start again.');
    const email = (form.get('email') ?? '').trim();
    const password = form.get('password') ?? '';
    const ip = addressOf(ctx);
    const userAgent = ctx.get('user-agent') || null;
    const code = (form.get('code') ?? '').slice(0, 64);
    const wellFormed = isEmail(email) && email.length <= 254 && password.length > 0 && password.length <= 128;
    const outcome = wellFormed ? await this.signIn.signIn({ email, password, code }, ip) : ({ refused: 'credentials' } as const);
    const accountId = 'userId' in outcome ? outcome.userId : null;
    const clientId = String(details.params.client_id ?? '');
    this.audit.record({
      workspaceId: null,
      actorType: accountId ? 'user' : 'anonymous',
      actorId: accountId,
      action: accountId ? 'auth.login.succeeded' : 'auth.login.failed',
      targetType: 'user',
      targetId: accountId,
      ip,
      userAgent,
      metadata: { via: 'oauth', client_id: clientId, ...(accountId ? {} : { email: email.slice(0, 254) }) },
    });
    if (!('userId' in outcome)) {
      const { refused } = outcome;
      const error =
        refused === 'code_required'
          ? 'This account uses two-factor sign-in: enter the e-mail and password again with a code from your authenticator app (or a recovery code).'
          : refused === 'code_wrong'
            ? 'The code is wrong, expired or was already used.'
            : 'The e-mail or password is wrong.';
      return send(ctx, 401, await this.loginHtml(provider, details, { email, error, codeError: refused !== 'credentials' }));
    }
    // The hash the password was verified against: one read now could already be a new password's.
    const signedInWith: SignedInWith = { via: 'password', stamp: outcome.passwordStamp };
    const to = await provider.interactionResult(ctx.req, ctx.res, { login: { accountId: outcome.userId, remember: false }, signedInWith }, { mergeWithLastSubmission: false });
    this.redirect(ctx, to);
  }

  private async confirm(ctx: KoaContext, provider: Provider, details: InteractionDetails, form: URLSearchParams): Promise<void> {
    if (details.prompt.name !== 'consent' || !details.session) throw new PageError(400, 'Not a consent', 'This request is not waiting for your consent. Go back to the app and start again.');
    await this.assertStillSignedIn(ctx, provider, details);
    const accountId = details.session.accountId;
    const workspace = form.get('workspace') ?? '';
    const access = workspace ? await this.workspaces.resolveAccess(workspace, accountId) : null;
    if (!access?.role) return send(ctx, 400, await this.consentHtml(provider, details, 'Pick one of your workspaces.'));
    const { granted, refused } = consentScopes(this.requested(details), access.roleScopes);
    const clientId = String(details.params.client_id ?? '');
    const missingClaims = details.prompt.details.missingOIDCClaims;
    const grantId = await this.grants.create(provider, {
      userId: accountId,
      clientId,
      workspaceId: access.id,
      granted,
      refused,
      claims: Array.isArray(missingClaims) ? missingClaims.map(String) : [],
    });
    this.audit.record({
      workspaceId: access.id,
      actorType: 'user',
      actorId: accountId,
      action: 'oauth.authorization.granted',
      targetType: 'oauth_authorization',
      targetId: grantId,
      ip: addressOf(ctx),
      userAgent: ctx.get('user-agent') || null,
      metadata: { client_id: clientId, scopes: granted.join(' '), refused: refused.join(' ') },
    });
    const to = await provider.interactionResult(ctx.req, ctx.res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    this.redirect(ctx, to);
  }

  private async abort(ctx: KoaContext, provider: Provider): Promise<void> {
    const to = await provider.interactionResult(ctx.req, ctx.res, { error: 'access_denied', error_description: 'The user declined the request.' }, { mergeWithLastSubmission: false });
    this.redirect(ctx, to);
  }

  /** After a form post, the browser GETs the next step (303). */
  private redirect(ctx: KoaContext, to: string): void {
    ctx.redirect(to);
    ctx.status = 303;
  }
}
