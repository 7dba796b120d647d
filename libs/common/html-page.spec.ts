import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { errorPage, escapeHtml, htmlPage, PAGE_CSP } from './html-page';

const hostile = `"><script>alert(1)</script><img src=x onerror='x'>&`;

describe(escapeHtml.name, () => {
  it('should escape the five characters that end text or an attribute', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });
});

describe(htmlPage.name, () => {
  it('should escape the title, and an error page its message', () => {
    for (const html of [htmlPage(hostile, ''), errorPage(hostile, hostile)]) {
      expect(html).not.toContain('<script>');
      expect(html).not.toContain("onerror='x'");
    }
  });

  it('should give the page a language and need no script', () => {
    const html = errorPage('Oops', 'No.');
    expect(html).toContain('<html lang="en">');
    expect(html).toContain('<h1>Oops</h1>');
    expect(html).toContain('role="alert"');
    expect(html).not.toMatch(/<script/i);
  });

  it('should allow exactly its own stylesheet and never be framed', () => {
    const html = errorPage('Oops', 'No.');
    const style = /<style>(.*)<\/style>/s.exec(html)![1];
    expect(PAGE_CSP).toContain(`'sha256-${createHash('sha256').update(style).digest('base64')}'`);
    expect(PAGE_CSP).toContain("frame-ancestors 'none'");
    expect(PAGE_CSP).toContain("default-src 'none'");
  });
});
