import { describe, expect, it } from 'vitest';
import { isId, newId } from './ids';

describe(newId.name, () => {
  it('should make prefixed 26-character ULIDs that sort by creation time', () => {
    const a = newId('usr', 1_700_000_000_000);
    const b = newId('usr', 1_700_000_000_001);
    expect(a).toMatch(/^usr_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(a < b).toBe(true);
  });

  it('should spread the 80 random bits over all 16 characters after the time', () => {
    const ids = Array.from({ length: 5_000 }, () => newId('px', 1));
    for (let position = 13; position < 29; position++) {
      expect(new Set(ids.map((id) => id[position])).size, `character ${position}`).toBe(32);
    }
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
