import { describe, expect, it } from 'vitest';
import { redirectUriProblem } from './redirect-uris';

describe(redirectUriProblem.name, () => {
  it('should accept https URLs and loopback http for native apps', () => {
    for (const uri of ['https://app.example.com/callback', 'https://app.example.com/cb?tenant=1', 'http://127.0.0.1:8765/callback', 'http://[::1]:8765/cb', 'https://app.example.com']) {
      expect(redirectUriProblem(uri), uri).toBeNull();
    }
  });

  it('should refuse plain http off loopback, localhost, other schemes and relative URLs', () => {
    for (const uri of ['http://app.example.com/cb', 'http://localhost:8765/cb', 'http://10.0.0.1/cb', 'javascript:alert(1)', 'data:text/html,x', 'ftp://example.com/cb', '/callback', 'callback', '']) {
      expect(redirectUriProblem(uri), uri).not.toBeNull();
    }
  });

  it('should refuse fragments, credentials and forms the parser rewrites', () => {
    expect(redirectUriProblem('https://app.example.com/cb#x')).toMatch(/fragment/);
    expect(redirectUriProblem('https://user:pw@app.example.com/cb')).toMatch(/credentials/);
    expect(redirectUriProblem('HTTPS://App.Example.com/cb')).toMatch(/canonical/);
    expect(redirectUriProblem('https://app.example.com:443/cb')).toMatch(/canonical/);
    expect(redirectUriProblem('https://app.example.com/a/../cb')).toMatch(/canonical/);
  });

  it('should refuse a URI past 2000 characters', () => {
    expect(redirectUriProblem(`https://app.example.com/${'a'.repeat(2000)}`)).toMatch(/at most/);
  });
});
