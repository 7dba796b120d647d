import { createHash } from 'node:crypto';

/**
 * The provider's pages (sign-in, consent, errors): plain server-rendered HTML that works without
 * JavaScript. Every value is escaped; forms carry a CSRF token; the only style is one stylesheet
 * whose hash the Content-Security-Policy names.
 */

/** Escapes text for HTML content and double- or single-quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const STYLE = [
  'body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1b1f24}',
  'main{max-width:32rem;margin:2rem auto;padding:1.5rem 2rem;background:#fff;border:1px solid #d0d7de;border-radius:8px}',
  'h1{font-size:1.4rem;margin-top:0}',
  'label{display:block;font-weight:600;margin-top:1rem}',
  'input[type=email],input[type=password],input[type=text]{display:block;width:100%;box-sizing:border-box;padding:.5rem;font:inherit;border:1px solid #57606a;border-radius:4px}',
  'fieldset{border:1px solid #d0d7de;border-radius:4px;margin-top:1rem}',
  'fieldset label{font-weight:400;margin-top:.5rem}',
  'button{font:inherit;padding:.5rem 1rem;margin-top:1.25rem;border-radius:4px;border:1px solid #1b1f24;background:#1f6feb;color:#fff;cursor:pointer}',
  'button.secondary{background:#fff;color:#1b1f24}',
  ':focus-visible{outline:3px solid #bf3989;outline-offset:2px}',
  '.alert{padding:.75rem;border:1px solid #cf222e;border-radius:4px;background:#ffebe9}',
  '.note{color:#57606a;font-size:.9rem}',
].join('');

/** The Content-Security-Policy of every page: nothing but this stylesheet, never framed. */
export const PAGE_CSP = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'; frame-ancestors 'none'; base-uri 'none'`;

/** Headers every page is sent with. */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': PAGE_CSP,
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

function layout(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Tessera</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

function alert(error: string | undefined): string {
  return error ? `<p class="alert" role="alert" id="form-error">${escapeHtml(error)}</p>` : '';
}

export interface LoginPageInput {
  clientName: string;
  action: string;
  abortAction: string;
  csrf: string;
  email?: string;
  error?: string;
  /** The error is about the second-factor code (it is the field described, not e-mail and password). */
  codeError?: boolean;
}

export function loginPage(input: LoginPageInput): string {
  const described = input.error && !input.codeError ? ' aria-describedby="form-error" aria-invalid="true"' : '';
  const codeDescribed = input.codeError ? ' aria-describedby="form-error" aria-invalid="true"' : ' aria-describedby="code-note"';
  return layout(
    'Sign in',
    `<h1>Sign in to continue to ${escapeHtml(input.clientName)}</h1>
${alert(input.error)}
<form method="post" action="${escapeHtml(input.action)}">
<input type="hidden" name="csrf" value="${escapeHtml(input.csrf)}">
<label for="email">E-mail</label>
<input id="email" name="email" type="email" autocomplete="username" required maxlength="254" value="${escapeHtml(input.email ?? '')}"${described}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="1024"${described}>
<label for="code">Authentication code</label>
<input id="code" name="code" type="text" autocomplete="one-time-code" maxlength="64"${codeDescribed}>
<p class="note" id="code-note">Only for an account with two-factor sign-in: a code from your authenticator app, or a recovery code.</p>
<button type="submit">Sign in</button>
</form>
<form method="post" action="${escapeHtml(input.abortAction)}">
<input type="hidden" name="csrf" value="${escapeHtml(input.csrf)}">
<button type="submit" class="secondary">Cancel and go back to ${escapeHtml(input.clientName)}</button>
</form>`,
  );
}

export interface ConsentWorkspace {
  id: string;
  name: string;
  slug: string;
  role: string;
  /** Requested scopes this member's role there does not hold (the app will not get them there). */
  refused: string[];
}

export interface ConsentPageInput {
  clientName: string;
  userEmail: string;
  scopes: Array<{ scope: string; description: string }>;
  workspaces: ConsentWorkspace[];
  action: string;
  abortAction: string;
  csrf: string;
  error?: string;
}

export function consentPage(input: ConsentPageInput): string {
  const scopes = input.scopes.map((s) => `<li><strong>${escapeHtml(s.scope)}</strong>: ${escapeHtml(s.description)}</li>`).join('\n');
  const workspaces = input.workspaces
    .map((w, i) => {
      const id = `workspace-${i}`;
      const note = w.refused.length
        ? `<span class="note" id="${id}-note"> Your role there (${escapeHtml(w.role)}) does not hold ${w.refused.map(escapeHtml).join(', ')}: the app will not get ${w.refused.length > 1 ? 'them' : 'it'}.</span>`
        : '';
      return `<label for="${id}"><input type="radio" id="${id}" name="workspace" value="${escapeHtml(w.id)}" required${i === 0 ? ' checked' : ''}${w.refused.length ? ` aria-describedby="${id}-note"` : ''}> ${escapeHtml(w.name)} <span class="note">(${escapeHtml(w.slug)}, ${escapeHtml(w.role)})</span>${note}</label>`;
    })
    .join('\n');
  const choose = input.workspaces.length
    ? `<fieldset>
<legend>The workspace ${escapeHtml(input.clientName)} may act in</legend>
${workspaces}
</fieldset>
<button type="submit">Allow</button>`
    : '<p role="alert">You belong to no workspace, so there is nothing this app could act in.</p>';
  return layout(
    'Authorize app',
    `<h1>Allow ${escapeHtml(input.clientName)} to use your Tessera account?</h1>
<p>Signed in as ${escapeHtml(input.userEmail)}.</p>
${alert(input.error)}
<h2>It asks to</h2>
<ul>
${scopes}
</ul>
<form method="post" action="${escapeHtml(input.action)}">
<input type="hidden" name="csrf" value="${escapeHtml(input.csrf)}">
${choose}
</form>
<form method="post" action="${escapeHtml(input.abortAction)}">
<input type="hidden" name="csrf" value="${escapeHtml(input.csrf)}">
<button type="submit" class="secondary">Deny</button>
</form>
<p class="note">You can revoke this app at any time (GET and DELETE /api/v1/me/authorizations).</p>`,
  );
}

export function errorPage(title: string, message: string): string {
  return layout(title, `<h1>${escapeHtml(title)}</h1>\n<p role="alert">${escapeHtml(message)}</p>`);
}
