import { describe, expect, it } from 'vitest';
import { acceptedEmail, isAllowedDomainName } from './sso-rules';

describe(acceptedEmail.name, () => {
  const domains = ['corp.example', 'example.org'];

  it('should accept a verified address in an allowed domain, lower-cased', () => {
    expect(acceptedEmail({ email: 'Ada@Corp.Example', email_verified: true }, domains)).toBe('ada@corp.example');
  });

  it('should refuse an address the provider did not verify, or only says "true" about', () => {
    expect(acceptedEmail({ email: 'ada@corp.example', email_verified: false }, domains)).toBeNull();
    expect(acceptedEmail({ email: 'ada@corp.example' }, domains)).toBeNull();
    expect(acceptedEmail({ email: 'ada@corp.example', email_verified: 'true' }, domains)).toBeNull();
  });

  it('should refuse other domains, subdomains and look-alikes', () => {
    for (const email of ['ada@evil.example', 'ada@sub.corp.example', 'ada@corp.example.evil', 'ada@corp-example', 'corp.example@evil.example', '@corp.example', 'ada@corp.example\u0000']) {
      expect(acceptedEmail({ email, email_verified: true }, domains), email).toBeNull();
    }
    expect(acceptedEmail({ email: 42, email_verified: true }, domains)).toBeNull();
  });
});

describe(isAllowedDomainName.name, () => {
  it('should take plain lower-case domain names only', () => {
    for (const d of ['corp.example', 'a.b.example.org', 'xn--bcher-kva.example']) expect(isAllowedDomainName(d), d).toBe(true);
    for (const d of ['Corp.Example', '*.corp.example', 'localhost', 'corp', 'corp..example', '-corp.example', 'corp.example.', 'ada@corp.example', '']) expect(isAllowedDomainName(d), d).toBe(false);
  });
});
