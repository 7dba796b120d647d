import { ApiError } from './errors';
import { Page } from './envelope';
import { encodeCursor, ListQuery } from './list-query';

/**
 * The three pagination modes over a short list held in memory (for example built-in plus custom
 * roles). `valueOf` gives an item's value for a sort field; `id` breaks ties.
 */
export function pageOfArray<T extends { id: string }>(items: T[], list: ListQuery, valueOf: (item: T, field: string) => string | number): Page<T> {
  const keys = [...list.sort, { field: 'id', descending: list.sort.at(-1)?.descending ?? false }];
  const tuple = (item: T) => keys.map((k) => (k.field === 'id' ? item.id : valueOf(item, k.field)));
  const compare = (a: (string | number)[], b: (string | number)[]) => {
    for (let i = 0; i < keys.length; i++) {
      if (a[i] === b[i]) continue;
      const less = a[i] < b[i];
      return (less ? -1 : 1) * (keys[i].descending ? -1 : 1);
    }
    return 0;
  };
  const sorted = [...items].sort((a, b) => compare(tuple(a), tuple(b)));
  const mode = list.mode;
  if (mode.kind === 'page') {
    const start = (mode.page - 1) * mode.perPage;
    const slice = sorted.slice(start, start + mode.perPage);
    return new Page(slice, {
      current_page: mode.page,
      per_page: mode.perPage,
      total: sorted.length,
      last_page: Math.max(1, Math.ceil(sorted.length / mode.perPage)),
      from: slice.length ? start + 1 : null,
      to: slice.length ? start + slice.length : null,
    }, list.fields);
  }
  if (mode.kind === 'offset') {
    return new Page(sorted.slice(mode.offset, mode.offset + mode.limit), { limit: mode.limit, offset: mode.offset, total: sorted.length }, list.fields);
  }
  let start = 0;
  if (mode.after) {
    const after = mode.after as (string | number)[];
    if (after.length !== keys.length) throw ApiError.badRequest('Invalid query parameters.', { cursor: ['is not a cursor this list issued'] });
    start = sorted.findIndex((item) => compare(tuple(item), after) > 0);
    if (start < 0) start = sorted.length;
  }
  const slice = sorted.slice(start, start + mode.limit);
  const hasMore = start + mode.limit < sorted.length;
  return new Page(slice, { limit: mode.limit, next_cursor: hasMore ? encodeCursor(tuple(slice.at(-1)!)) : null, has_more: hasMore }, list.fields);
}
