import { describe, expect, it } from 'vitest';
import { MAGIC_LINK_PAGE_HEADERS, magicLinkPage } from './magic-link-page';

describe(magicLinkPage.name, () => {
  it('should post the token with one labelled button, and need no script', () => {
    const html = magicLinkPage({ action: '/api/v1/auth/magic-link/verify', token: 'tsr_ml_abc' });
    expect(html).toContain('<html lang="en">');
    expect(html).toContain('<h1>Sign in to Tessera</h1>');
    expect(html).toContain('<form method="post" action="/api/v1/auth/magic-link/verify">');
    expect(html).toContain('<input type="hidden" name="token" value="tsr_ml_abc">');
    expect(html).toContain('<button type="submit">Sign in</button>');
    expect(html).not.toMatch(/<script|<a |<img|<link/i);
  });

  it('should escape the token and the action', () => {
    const hostile = `"><script>alert(1)</script><img src=x onerror='x'>&`;
    const html = magicLinkPage({ action: hostile, token: hostile });
    expect(html).not.toContain('<script>');
    expect(html).not.toContain("onerror='x'");
    expect(html).toContain('value="&quot;&gt;&lt;script&gt;');
  });

  it('should be sent never framed, never cached, its form posting to the API alone with its Origin', () => {
    expect(MAGIC_LINK_PAGE_HEADERS['Content-Security-Policy']).toMatch(/default-src 'none'.*frame-ancestors 'none'.*; form-action 'self'$/);
    expect(MAGIC_LINK_PAGE_HEADERS['X-Frame-Options']).toBe('DENY');
    expect(MAGIC_LINK_PAGE_HEADERS['Cache-Control']).toBe('no-store');
    // Not no-referrer: under it, browsers post the form with "Origin: null".
    expect(MAGIC_LINK_PAGE_HEADERS['Referrer-Policy']).toBe('same-origin');
  });
});
