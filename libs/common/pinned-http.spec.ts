import { LookupAddress } from 'node:dns';
import { describe, expect, it } from 'vitest';
import { BlockedAddressError, blockedAddressOf, connectionTargetProblem, pinnedLookup } from './pinned-http';

function lookup(allowPrivate: boolean, host: string): Promise<{ err: NodeJS.ErrnoException | null; addresses: LookupAddress[] }> {
  return new Promise((resolve) => pinnedLookup(allowPrivate)(host, { all: true }, (err, addresses) => resolve({ err, addresses: addresses as LookupAddress[] })));
}

describe('pinnedLookup', () => {
  it('should refuse a name that resolves to a loopback address, and hand it over when private addresses are allowed', async () => {
    const refused = await lookup(false, 'localhost');
    expect(refused.err).toBeInstanceOf(BlockedAddressError);
    expect(refused.err?.message).toBe('localhost resolves to a non-public address');
    const allowed = await lookup(true, 'localhost');
    expect(allowed.err).toBeNull();
    expect(allowed.addresses.map((a) => a.address)).toContain('127.0.0.1');
  });
});

describe('connectionTargetProblem', () => {
  it('should refuse non-public IP literals (which never reach the lookup) and anything but https', () => {
    for (const url of ['https://127.0.0.1/', 'https://[::1]/', 'https://10.1.2.3/', 'https://169.254.169.254/', 'https://[::ffff:192.168.0.1]/']) {
      expect(connectionTargetProblem(new URL(url), false), url).toBe('refused: the URL is a non-public address');
    }
    expect(connectionTargetProblem(new URL('http://example.com/'), false)).toBe('refused: the URL is not https');
    expect(connectionTargetProblem(new URL('https://example.com/'), false)).toBeNull();
    expect(connectionTargetProblem(new URL('https://8.8.8.8/'), false)).toBeNull();
  });

  it('should allow http and private literals with allowPrivate (development and tests), and no other scheme', () => {
    expect(connectionTargetProblem(new URL('http://127.0.0.1:4000/'), true)).toBeNull();
    expect(connectionTargetProblem(new URL('ftp://127.0.0.1/'), true)).toBe('refused: the URL is not https');
  });
});

describe('blockedAddressOf', () => {
  it('should find our refusal however deep fetch wrapped it', () => {
    const blocked = new BlockedAddressError('x resolves to a non-public address');
    expect(blockedAddressOf(blocked)).toBe(blocked);
    expect(blockedAddressOf(new TypeError('fetch failed', { cause: blocked }))).toBe(blocked);
    expect(blockedAddressOf(new TypeError('fetch failed', { cause: new Error('connect', { cause: blocked }) }))).toBe(blocked);
    expect(blockedAddressOf(new TypeError('fetch failed', { cause: Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }) }))).toBeNull();
  });
});
