import { describe, expect, it } from 'vitest';
import { SLUG_PATTERN } from './dto/workspace.dto';
import { slugify } from './workspaces.service';

describe(slugify.name, () => {
  it('should fold accents, case and punctuation into dashes', () => {
    expect(slugify('Café Düsseldorf!')).toBe('cafe-dusseldorf');
    expect(slugify('  Acme -- Inc.  ')).toBe('acme-inc');
  });

  it('should always give a valid slug, even from nothing usable', () => {
    for (const name of ['!!!', '日本語', 'x'.repeat(300), 'a-'.repeat(40)]) {
      expect(slugify(name)).toMatch(SLUG_PATTERN);
    }
    expect(slugify('!!!')).toBe('workspace');
  });
});
