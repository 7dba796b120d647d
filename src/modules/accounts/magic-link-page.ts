import { escapeHtml, htmlPage, PAGE_CSP, PAGE_HEADERS } from '@tessera/common';

/** Headers of the page the e-mailed link opens: the frame's, its form posting only to the API itself. */
export const MAGIC_LINK_PAGE_HEADERS: Readonly<Record<string, string>> = {
  ...PAGE_HEADERS,
  'Content-Security-Policy': `${PAGE_CSP}; form-action 'self'`,
  // Under no-referrer a browser posts the form with "Origin: null" (Fetch serializes a non-CORS
  // request's origin as null under that policy; Chromium does), which the POST refuses as
  // cross-site. same-origin sends the page's Origin (and its address) to the API alone, and
  // nothing to any other site: the page loads nothing and links nowhere.
  'Referrer-Policy': 'same-origin',
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
