import { createHash } from 'node:crypto';

/**
 * The frame of the few pages the API serves to browsers itself (the OAuth provider's sign-in,
 * consent and errors; the magic link's confirmation): plain server-rendered HTML that works
 * without JavaScript. Every value is escaped; the only style is one stylesheet whose hash the
 * Content-Security-Policy names.
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
  // Not no-referrer: under it a browser posts a page's form with "Origin: null" (Chromium does),
  // and the API refuses a form post whose Origin is not its own. same-origin sends the page's
  // origin to the API alone, and nothing to any other site.
  'Referrer-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

/** A whole page: `title` is escaped here, `body` is HTML whose values the caller escaped. */
export function htmlPage(title: string, body: string): string {
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

export function errorPage(title: string, message: string): string {
  return htmlPage(title, `<h1>${escapeHtml(title)}</h1>\n<p role="alert">${escapeHtml(message)}</p>`);
}
