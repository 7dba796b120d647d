import { describe, expect, it } from 'vitest';
import { outranksForAccount, rankOf } from './roles';

const CUSTOM = 'role_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8';

describe('role ranks', () => {
  it('should order owner > admin > custom role > member > viewer', () => {
    const order = ['owner', 'admin', CUSTOM, 'member', 'viewer'].map(rankOf);
    expect([...order].sort((a, b) => b - a)).toEqual(order);
    expect(new Set(order).size).toBe(order.length);
  });

  it('should let only a strictly higher built-in role manage an account', () => {
    expect(outranksForAccount('owner', 'admin')).toBe(true);
    expect(outranksForAccount('admin', CUSTOM)).toBe(true);
    expect(outranksForAccount('admin', 'member')).toBe(true);
    expect(outranksForAccount('admin', 'admin')).toBe(false);
    expect(outranksForAccount('admin', 'owner')).toBe(false);
    expect(outranksForAccount('member', 'viewer')).toBe(true);
    expect(outranksForAccount('member', CUSTOM)).toBe(false);
  });

  it('should never let a custom role or an API key manage an account', () => {
    expect(outranksForAccount(CUSTOM, 'viewer')).toBe(false);
    expect(outranksForAccount(null, 'viewer')).toBe(false);
  });
});
