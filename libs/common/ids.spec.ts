import { describe, expect, it } from 'vitest';
import { isId, newId } from './ids';

describe(newId.name, () => {
  it('should make prefixed 26-character ULIDs that sort by creation time', () => {
    const a = newId('usr', 1_700_000_000_000);
    const b = newId('usr', 1_700_000_000_001);
    expect(a).toMatch(/^usr_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(a < b).toBe(true);
  });

  it('should use every base32 character at every one of the 16 random positions', () => {
    const seen = Array.from({ length: 16 }, () => new Set<string>());
    for (let i = 0; i < 5_000; i++) {
      const random = newId('att', 1).slice(-16);
      for (let p = 0; p < 16; p++) seen[p].add(random[p]);
    }
    expect(seen.map((s) => s.size)).toEqual(Array(16).fill(32));
  });

  it('should encode the time in the first 10 characters', () => {
    expect(newId('ws', 0).slice(3, 13)).toBe('0000000000');
    expect(newId('ws', 2 ** 48 - 1).slice(3, 13)).toBe('7ZZZZZZZZZ');
    expect(newId('ws', 1_700_000_000_000).slice(3, 13)).toBe('01HF7YAT00');
  });

  it('should never repeat within a millisecond', () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => newId('ws', 1)));
    expect(ids.size).toBe(10_000);
  });
});

describe(isId.name, () => {
  it('should accept only ids of the named type', () => {
    const id = newId('ws');
    expect(isId('ws', id)).toBe(true);
    expect(isId('usr', id)).toBe(false);
    expect(isId('ws', 'ws_short')).toBe(false);
    expect(isId('ws', `${id}'--`)).toBe(false);
    expect(isId('ws', 42)).toBe(false);
  });
});
