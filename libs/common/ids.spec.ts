import { describe, expect, it } from 'vitest';
import { isId, newId } from './ids';

describe(newId.name, () => {
  it('should make prefixed 26-character ULIDs that sort by creation time', () => {
    const a = newId('usr', 1_700_000_000_000);
    const b = newId('usr', 1_700_000_000_001);
    expect(a).toMatch(/^usr_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(a < b).toBe(true);
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
