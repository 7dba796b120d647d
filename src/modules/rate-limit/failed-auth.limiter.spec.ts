import { describe, expect, it } from 'vitest';
import { ipv6Prefix64 } from './failed-auth.limiter';

describe(ipv6Prefix64.name, () => {
  it('should give every address of one /64 the same prefix, however it is written', () => {
    expect(ipv6Prefix64('2001:db8:0:0:1:2:3:4')).toBe('2001:db8:0:0');
    expect(ipv6Prefix64('2001:0db8::ffff')).toBe('2001:db8:0:0');
    expect(ipv6Prefix64('2001:db8:0:0::1%eth0')).toBe('2001:db8:0:0');
  });

  it('should tell apart addresses of different /64s', () => {
    expect(ipv6Prefix64('2001:db8:0:1::1')).not.toBe(ipv6Prefix64('2001:db8:0:2::1'));
    expect(ipv6Prefix64('::1')).toBe('0:0:0:0');
  });
});
