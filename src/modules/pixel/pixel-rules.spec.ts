import { describe, expect, it } from 'vitest';
import { decide, hostOf, normalizeDomain, normalizeOrigin, originAllowed, referrerHostOf, sampledIn } from './pixel-rules';

describe(normalizeDomain.name, () => {
  it.each([
    ['example.com', 'example.com'],
    ['  WWW.Example.COM. ', 'www.example.com'],
    ['shop.example.co.uk', 'shop.example.co.uk'],
    ['bücher.example', 'xn--bcher-kva.example'],
    ['a-b.example', 'a-b.example'],
  ])('should accept %j as %j', (input, expected) => expect(normalizeDomain(input)).toBe(expected));

  it.each([
    '', 'localhost', 'com', 'https://example.com', 'example.com:8080', 'example.com/path', 'user@example.com', '10.0.0.1', '[::1]',
    '-bad.example', 'bad-.example', 'exa mple.com', 'a..b', `${'a'.repeat(64)}.example`, `${'a.'.repeat(127)}com`, 'example.com\\x', '*.example.com',
  ])('should refuse %j', (input) => expect(normalizeDomain(input)).toBeNull());
});

describe(normalizeOrigin.name, () => {
  it.each([
    ['https://example.com', 'https://example.com'],
    ['https://Example.com/', 'https://example.com'],
    ['http://localhost:3000', 'http://localhost:3000'],
    ['https://example.com:443', 'https://example.com'],
    ['*', '*'],
  ])('should accept %j as %j', (input, expected) => expect(normalizeOrigin(input)).toBe(expected));

  it.each(['example.com', 'https://example.com/page', 'https://example.com?x=1', 'https://example.com?', 'https://example.com#', 'https://u:p@example.com', 'ftp://example.com', 'null', '', '*.example.com'])(
    'should refuse %j',
    (input) => expect(normalizeOrigin(input)).toBeNull(),
  );
});

describe(hostOf.name, () => {
  it('should read the host of an Origin or a Referer, and nothing else', () => {
    expect(hostOf('https://Shop.Example.com:8443')).toBe('shop.example.com');
    expect(hostOf('https://example.com./page?q=1')).toBe('example.com');
    expect(hostOf('null')).toBeNull();
    expect(hostOf('android-app://com.example')).toBeNull();
    expect(hostOf('not a url')).toBeNull();
    expect(hostOf(undefined)).toBeNull();
  });
});

describe(originAllowed.name, () => {
  const settings = { allowedOrigins: ['https://app.example.net'], domains: ['example.com'] };

  it('should allow a listed origin and any origin on one of the pixel’s domains', () => {
    expect(originAllowed(settings, 'https://app.example.net')).toBe(true);
    expect(originAllowed(settings, 'https://example.com')).toBe(true);
    expect(originAllowed(settings, 'http://example.com:8080')).toBe(true);
  });

  it('should refuse other origins, a listed host on another scheme or port, and subdomains of a domain', () => {
    expect(originAllowed(settings, 'https://evil.example')).toBe(false);
    expect(originAllowed(settings, 'http://app.example.net')).toBe(false);
    expect(originAllowed(settings, 'https://app.example.net:8443')).toBe(false);
    expect(originAllowed(settings, 'https://www.example.com')).toBe(false);
    expect(originAllowed(settings, 'https://example.com.evil.example')).toBe(false);
    expect(originAllowed(settings, 'null')).toBe(false);
    expect(originAllowed(settings, '*')).toBe(false);
  });

  it('should allow every origin with *', () => {
    expect(originAllowed({ allowedOrigins: ['*'], domains: [] }, 'https://anyone.example')).toBe(true);
  });
});

describe(sampledIn.name, () => {
  it('should keep everything at 1 and nothing at 0', () => {
    expect(sampledIn(1, 'ses', () => 0.999)).toBe(true);
    expect(sampledIn(0, 'ses', () => 0)).toBe(false);
  });

  it('should decide a session the same way every time, whatever the randomness', () => {
    const sessions = Array.from({ length: 2000 }, (_, i) => `session-${i}`);
    const first = sessions.map((s) => sampledIn(0.25, s, () => 0));
    expect(sessions.map((s) => sampledIn(0.25, s, () => 0.99))).toEqual(first);
    const kept = first.filter(Boolean).length / sessions.length;
    expect(kept).toBeGreaterThan(0.2);
    expect(kept).toBeLessThan(0.3);
    // A session kept at a rate stays kept at any higher rate.
    expect(sessions.filter((s, i) => first[i] && !sampledIn(0.5, s)).length).toBe(0);
  });

  it('should draw at random for an event without a session', () => {
    expect(sampledIn(0.25, undefined, () => 0.24)).toBe(true);
    expect(sampledIn(0.25, undefined, () => 0.25)).toBe(false);
  });
});

describe(decide.name, () => {
  const on = { enabled: true, features: { pageviews: true, events: true, sessions: true }, sampleRate: 1 };

  it('should track while enabled, and drop the session when sessions are off', () => {
    expect(decide(on, 'pageview', 's')).toEqual({ tracked: true, keepSession: true });
    expect(decide({ ...on, features: { ...on.features, sessions: false } }, 'signup', 's')).toEqual({ tracked: true, keepSession: false });
  });

  it('should say why an event is not tracked', () => {
    expect(decide({ ...on, enabled: false }, 'pageview', 's')).toEqual({ tracked: false, reason: 'disabled' });
    expect(decide({ ...on, features: { ...on.features, pageviews: false } }, 'pageview', 's')).toEqual({ tracked: false, reason: 'feature_disabled' });
    expect(decide({ ...on, features: { ...on.features, pageviews: false } }, 'signup', 's')).toEqual({ tracked: true, keepSession: true });
    expect(decide({ ...on, features: { ...on.features, events: false } }, 'signup', 's')).toEqual({ tracked: false, reason: 'feature_disabled' });
    expect(decide({ ...on, sampleRate: 0.5 }, 'pageview', undefined, () => 0.7)).toEqual({ tracked: false, reason: 'sampled_out' });
  });
});

describe(referrerHostOf.name, () => {
  it('should name another site, and not the page’s own site', () => {
    expect(referrerHostOf('https://www.google.com/search?q=x', 'https://example.com/page')).toBe('www.google.com');
    expect(referrerHostOf('https://example.com/', 'https://example.com/page')).toBeNull();
    expect(referrerHostOf(undefined, 'https://example.com/page')).toBeNull();
    expect(referrerHostOf('', 'https://example.com/page')).toBeNull();
  });
});
