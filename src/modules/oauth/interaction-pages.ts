import { escapeHtml, htmlPage } from '@tessera/common';

/**
 * The provider's pages (sign-in, consent), in the frame of @tessera/common's htmlPage: plain
 * server-rendered HTML that works without JavaScript, every value escaped, and forms that carry a
 * CSRF token.
 */

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
  return htmlPage(
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
  return htmlPage(
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
