import { afterEach, describe, expect, it } from 'vitest';
import { clientIp, configureHttp, isLoopbackAddress, RequestLike } from './http';

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

describe(isLoopbackAddress.name, () => {
  it('should accept loopback socket addresses', () => {
    for (const address of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1', '::FFFF:127.0.0.9']) expect(isLoopbackAddress(address)).toBe(true);
  });

  it('should refuse every other address (the mailbox then answers 404)', () => {
    for (const address of [undefined, '', '10.0.0.1', '192.168.1.20', '0.0.0.0', '::', '::ffff:10.0.0.1', 'fe80::1', '128.0.0.1', '127.0.0.256', '127.0.0.1.evil', '::ffff:192.168.0.1']) {
      expect(isLoopbackAddress(address)).toBe(false);
    }
  });
});
