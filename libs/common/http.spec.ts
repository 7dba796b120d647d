import { afterEach, describe, expect, it } from 'vitest';
import { clientIp, configureHttp, RequestLike } from './http';

const request = (peer: string, forwardedFor?: string): RequestLike => ({
  method: 'GET',
  headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
  socket: { remoteAddress: peer },
});

describe(clientIp.name, () => {
  afterEach(() => configureHttp({ trustProxy: false }));

  it('should ignore X-Forwarded-For when no proxy is trusted', () => {
    configureHttp({ trustProxy: false });
    expect(clientIp(request('10.0.0.5', '6.6.6.6'))).toBe('10.0.0.5');
  });

  it('should take the entry the nearest proxy appended with one trusted hop, whatever the client wrote before it', () => {
    configureHttp({ trustProxy: 1 });
    expect(clientIp(request('10.0.0.5', '6.6.6.6, 203.0.113.7'))).toBe('203.0.113.7');
    expect(clientIp(request('10.0.0.5', '7.7.7.7, 203.0.113.7'))).toBe('203.0.113.7');
    expect(clientIp(request('10.0.0.5'))).toBe('10.0.0.5');
  });

  it('should count hops from the right', () => {
    configureHttp({ trustProxy: 2 });
    expect(clientIp(request('10.0.0.5', '6.6.6.6, 203.0.113.7, 10.0.0.9'))).toBe('203.0.113.7');
    expect(clientIp(request('10.0.0.5', '203.0.113.7'))).toBe('203.0.113.7');
  });

  it('should walk past trusted proxy addresses only', () => {
    configureHttp({ trustProxy: ['10.0.0.0/8', '::1'] });
    expect(clientIp(request('::ffff:10.0.0.5', '6.6.6.6, 203.0.113.7, 10.1.2.3'))).toBe('203.0.113.7');
    expect(clientIp(request('::1', '203.0.113.7'))).toBe('203.0.113.7');
    // A peer that is not a trusted proxy is the client, whatever it forwards.
    expect(clientIp(request('192.0.2.1', '203.0.113.7'))).toBe('192.0.2.1');
  });
});
