import { escapeHtml, htmlPage, PAGE_CSP, PAGE_HEADERS } from '@tessera/common';

/**
 * Headers of the page the e-mailed link opens: the frame's, its form posting only to the API itself
 * (not on the OAuth provider's pages, whose consent ends in a redirect to the app, which form-action would govern).
 */
export const MAGIC_LINK_PAGE_HEADERS: Readonly<Record<string, string>> = {
  ...PAGE_HEADERS,
  'Content-Security-Policy': `${PAGE_CSP}; form-action 'self'`,
};

/**
 * The page the e-mailed link opens: opening it spends nothing, so mail scanners and link
 * previewers that open every link cannot use the token up. Its button posts the token to the API,
 * and that POST (same-origin only) is the sign-in.
 */
export function magicLinkPage(input: { action: string; token: string }): string {
  return htmlPage(
    'Sign in',
    `<h1>Sign in to Tessera</h1>
<p>You asked for a link to sign in to Tessera. Press the button to sign in in this browser.</p>
<form method="post" action="${escapeHtml(input.action)}">
<input type="hidden" name="token" value="${escapeHtml(input.token)}">
<button type="submit">Sign in</button>
</form>
<p class="note">The link works once, within 15 minutes of being sent. If you did not ask for it, close this page: nothing happens until the button is pressed.</p>`,
  );
}
