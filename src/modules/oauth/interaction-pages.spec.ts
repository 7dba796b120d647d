import { describe, expect, it } from 'vitest';
import { consentPage, loginPage } from './interaction-pages';

const hostile = `"><script>alert(1)</script><img src=x onerror='x'>&`;

describe('interaction pages', () => {
  it('should escape every value a client or a user chose', () => {
    const login = loginPage({ clientName: hostile, action: '/a', abortAction: '/b', csrf: hostile, email: hostile, error: hostile });
    const consent = consentPage({
      clientName: hostile,
      userEmail: hostile,
      scopes: [{ scope: hostile, description: hostile }],
      workspaces: [{ id: hostile, name: hostile, slug: hostile, role: hostile, refused: [hostile] }],
      action: '/a',
      abortAction: '/b',
      csrf: hostile,
      error: hostile,
    });
    for (const html of [login, consent]) {
      expect(html).not.toContain('<script>');
      expect(html).not.toContain("onerror='x'");
      expect(html).not.toMatch(/value="[^"]*"[^ >]*><script/);
    }
  });

  it('should label every field, give the page a language and a heading, and need no script', () => {
    const html = loginPage({ clientName: 'App', action: '/a', abortAction: '/b', csrf: 't', error: 'Wrong e-mail or password.' });
    expect(html).toContain('<html lang="en">');
    expect(html).toMatch(/<h1>Sign in to continue to App<\/h1>/);
    expect(html).toContain('<label for="email">');
    expect(html).toContain('<label for="password">');
    expect(html).toContain('role="alert"');
    expect(html).toContain('aria-describedby="form-error"');
    expect(html).not.toMatch(/<script/i);
    const consent = consentPage({ clientName: 'App', userEmail: 'a@b.c', scopes: [], workspaces: [{ id: 'ws_1', name: 'Acme', slug: 'acme', role: 'viewer', refused: ['posts:write'] }], action: '/a', abortAction: '/b', csrf: 't' });
    expect(consent).toContain('<legend>');
    expect(consent).toContain('<label for="workspace-0"><input type="radio" id="workspace-0"');
    expect(consent).toContain('does not hold posts:write');
  });
});
