import { describe, expect, it } from 'vitest';
import { parseListQuery } from '@tessera/common';
import { EXACT_COUNT_LIMIT, postListStatements } from './posts.sql';

const SPEC = {
  sortable: ['created_at', 'updated_at', 'title', 'status'],
  defaultSort: '-created_at',
  fields: ['id', 'title'],
  includes: ['author'],
  filters: { status: ['draft', 'published', 'archived'], tag: null },
  searchable: true,
  updatable: true,
};
const list = (q: Record<string, string>) => parseListQuery(q, SPEC);

describe(postListStatements.name, () => {
  it('should filter by workspace first and bind every value', () => {
    const sut = postListStatements('ws_1', list({ search: "x'; DROP TABLE posts; --", status: 'draft', tag: 'a', per_page: '10' }));
    expect(sut.rows.text).toMatch(/WHERE p\.workspace_id = \$1 AND /);
    expect(sut.rows.text).not.toContain('DROP');
    expect(sut.rows.values).toEqual(['ws_1', "x'; DROP TABLE posts; --", 'draft', 'a', 10, 0]);
    expect(sut.count!.values).toEqual(['ws_1', "x'; DROP TABLE posts; --", 'draft', 'a']);
  });

  it('should cap the count so that it never scans more than EXACT_COUNT_LIMIT + 1 rows', () => {
    const sut = postListStatements('ws_1', list({}));
    expect(sut.count!.text).toContain(`LIMIT ${EXACT_COUNT_LIMIT + 1}`);
    expect(sut.estimate!.text).toMatch(/^EXPLAIN \(FORMAT JSON\) SELECT 1 FROM posts p WHERE p\.workspace_id = \$1$/);
  });

  it('should page by cursor with one row comparison when every key sorts the same way', () => {
    const sut = postListStatements('ws_1', list({ limit: '25', cursor: Buffer.from(JSON.stringify(['2026-01-01T00:00:00.000Z', 'pst_X'])).toString('base64url') }));
    expect(sut.rows.text).toContain('(p.created_at, p.id) < ($2, $3)');
    expect(sut.rows.text).toMatch(/ORDER BY p\.created_at DESC, p\.id DESC LIMIT \$4$/);
    expect(sut.rows.values).toEqual(['ws_1', '2026-01-01T00:00:00.000Z', 'pst_X', 26]);
    expect(sut.count).toBeUndefined();
  });

  it('should expand the cursor condition when keys sort in different directions', () => {
    const cursor = Buffer.from(JSON.stringify(['b', '2026-01-01T00:00:00.000Z', 'pst_X'])).toString('base64url');
    const sut = postListStatements('ws_1', list({ limit: '5', sort: 'title,-created_at', cursor }));
    expect(sut.rows.text).toContain('((p.title > $2) OR (p.title = $3 AND p.created_at < $4) OR (p.title = $5 AND p.created_at = $6 AND p.id < $7))');
  });

  it('should give the same statement name to the same shape and another to another shape', () => {
    const a = postListStatements('ws_1', list({ per_page: '25' }));
    const b = postListStatements('ws_2', list({ per_page: '25' }));
    const c = postListStatements('ws_1', list({ per_page: '25', sort: 'title' }));
    expect(a.rows.name).toBe(b.rows.name);
    expect(a.rows.name).not.toBe(c.rows.name);
    expect(a.rows.name.length).toBeLessThanOrEqual(63);
  });

  it('should join the author only with include=author', () => {
    expect(postListStatements('ws_1', list({})).rows.text).not.toContain('JOIN');
    expect(postListStatements('ws_1', list({ include: 'author' })).rows.text).toContain('LEFT JOIN users a ON a.id = p.author_id');
  });
});
