import { describe, expect, it } from 'vitest';
import { ApiError } from './errors';
import { encodeCursor, ListSpec, parseListQuery } from './list-query';

const spec: ListSpec = {
  sortable: ['created_at', 'name'],
  defaultSort: '-created_at',
  fields: ['id', 'name', 'created_at'],
  filters: { status: ['draft', 'published'] },
  searchable: true,
  updatable: true,
};

function badParams(query: Record<string, unknown>): string[] {
  try {
    parseListQuery(query, spec);
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    return Object.keys((err as ApiError).meta.errors as object);
  }
  throw new Error('expected a 400');
}

describe(parseListQuery.name, () => {
  it('should default to page mode, page 1, 25 per page, the default sort', () => {
    const sut = parseListQuery({}, spec);
    expect(sut.mode).toEqual({ kind: 'page', page: 1, perPage: 25 });
    expect(sut.sort).toEqual([{ field: 'created_at', descending: true }]);
  });

  it('should pick cursor mode for limit alone or with cursor, offset mode for limit with offset', () => {
    expect(parseListQuery({ limit: '10' }, spec).mode).toEqual({ kind: 'cursor', limit: 10, after: null });
    const cursor = encodeCursor(['2026-01-01T00:00:00.000Z', 'pst_x']);
    expect(parseListQuery({ cursor }, spec).mode).toEqual({ kind: 'cursor', limit: 25, after: ['2026-01-01T00:00:00.000Z', 'pst_x'] });
    expect(parseListQuery({ limit: '5', offset: '10' }, spec).mode).toEqual({ kind: 'offset', limit: 5, offset: 10 });
  });

  it('should parse multi-field sort, sparse fields (always with id), filters, search and dates', () => {
    const sut = parseListQuery({ sort: 'name,-created_at', fields: 'name', status: 'draft', search: ' hello ', created_after: '2026-01-01' }, spec);
    expect(sut.sort).toEqual([{ field: 'name', descending: false }, { field: 'created_at', descending: true }]);
    expect(sut.fields).toEqual(['id', 'name']);
    expect(sut.filters).toEqual({ status: 'draft' });
    expect(sut.search).toBe('hello');
    expect(sut.createdAfter?.toISOString()).toBe('2026-01-01T00:00:00.000Z');
  });

  it('should throw a 400 naming each bad parameter', () => {
    expect(badParams({ sort: 'password' })).toEqual(['sort']);
    expect(badParams({ fields: 'secret' })).toEqual(['fields']);
    expect(badParams({ per_page: '0' })).toEqual(['per_page']);
    expect(badParams({ per_page: '101' })).toEqual(['per_page']);
    expect(badParams({ page: '-1' })).toEqual(['page']);
    expect(badParams({ limit: '1.5' })).toEqual(['limit']);
    expect(badParams({ status: 'deleted' })).toEqual(['status']);
    expect(badParams({ unknown: 'x' })).toEqual(['unknown']);
    expect(badParams({ page: ['1', '2'] })).toEqual(['page']);
    expect(badParams({ created_before: 'soon' })).toEqual(['created_before']);
    expect(badParams({ page: '2', per_page: '5', limit: '5' })).toEqual(['limit']);
    expect(badParams({ page: '2', limit: '5', cursor: encodeCursor(['2026-01-01T00:00:00.000Z', 'y']) })).toEqual(['limit']);
    // A forged cursor whose timestamp key is no instant (review finding 2: it was a 500 from PostgreSQL).
    for (const forged of [['x', 'y'], [12, 'y'], ['2026-13-45T99:00:00Z', 'y'], ['99999-01-01', 'y']]) expect(badParams({ cursor: encodeCursor(forged) })).toEqual(['cursor']);
    expect(badParams({ page: '2', offset: '5' })).toEqual(['offset']);
  });

  it('should read page with limit as page mode, limit being the page size (the Intuka seed dialect)', () => {
    expect(parseListQuery({ page: '2', limit: '25' }, spec).mode).toEqual({ kind: 'page', page: 2, perPage: 25 });
    expect(badParams({ page: '2', limit: '101' })).toEqual(['limit']);
  });

  it('should read sortBy/sortOrder as an alias of sort, descending by default', () => {
    expect(parseListQuery({ sortBy: 'name', sortOrder: 'asc' }, spec).sort).toEqual([{ field: 'name', descending: false }]);
    expect(parseListQuery({ sortBy: 'name' }, spec).sort).toEqual([{ field: 'name', descending: true }]);
    expect(parseListQuery({ sortOrder: 'asc' }, spec).sort).toEqual([{ field: 'created_at', descending: false }]);
  });

  it('should refuse sort mixed with sortBy/sortOrder, and a bad sortBy or sortOrder', () => {
    expect(badParams({ sort: 'name', sortBy: 'name' })).toEqual(['sortBy']);
    expect(badParams({ sort: 'name', sortOrder: 'asc' })).toEqual(['sortBy']);
    expect(badParams({ sortBy: 'password' })).toEqual(['sortBy']);
    expect(badParams({ sortBy: 'name,-created_at' })).toEqual(['sortBy']);
    expect(badParams({ sortBy: 'name', sortOrder: 'up' })).toEqual(['sortOrder']);
  });

  it('should refuse a cursor that was not issued for this sort', () => {
    expect(badParams({ cursor: 'not-base64-json' })).toEqual(['cursor']);
    expect(badParams({ cursor: encodeCursor(['only-one']) })).toEqual(['cursor']);
    expect(badParams({ cursor: encodeCursor([{ $gt: '' }, 'x']) })).toEqual(['cursor']);
  });
});
