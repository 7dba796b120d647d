import { describe, expect, it } from 'vitest';
import { isLoopbackAddress } from './http';

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
