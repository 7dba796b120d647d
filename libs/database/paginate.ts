import { Brackets, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { encodeCursor, ListQuery, Page, Pagination } from '@tessera/common';

/**
 * Maps each wire field a list may sort or filter on to the entity property behind it.
 * `id`, `created_at` and `updated_at` (when the entity has one) are expected.
 */
export type ColumnMap = Record<string, string>;

function cursorValue(value: unknown): string | number {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'number') return value;
  return String(value);
}

/**
 * Applies the standard filters, the sort and one of the three pagination modes to a query, and
 * runs it. Cursor mode is keyset pagination on (sort keys…, id): O(page size) at any table size.
 */
export async function paginate<T extends ObjectLiteral>(
  qb: SelectQueryBuilder<T>,
  list: ListQuery,
  columns: ColumnMap,
): Promise<Page<T>> {
  const alias = qb.alias;
  const col = (field: string) => `${alias}.${columns[field] ?? field}`;
  let n = 0;
  const param = () => `p${n++}`;

  const range = (field: string, op: '>' | '<', value: Date | undefined) => {
    if (!value) return;
    const p = param();
    qb.andWhere(`${col(field)} ${op} :${p}`, { [p]: value });
  };
  range('created_at', '>', list.createdAfter);
  range('created_at', '<', list.createdBefore);
  range('updated_at', '>', list.updatedAfter);
  range('updated_at', '<', list.updatedBefore);
  for (const [field, value] of Object.entries(list.filters)) {
    if (!columns[field]) continue; // filters the repository applies itself
    const p = param();
    qb.andWhere(`${col(field)} = :${p}`, { [p]: value });
  }

  const keys = [...list.sort, { field: 'id', descending: list.sort.at(-1)?.descending ?? false }];
  keys.forEach((k, i) => (i === 0 ? qb.orderBy(col(k.field), k.descending ? 'DESC' : 'ASC') : qb.addOrderBy(col(k.field), k.descending ? 'DESC' : 'ASC')));

  const mode = list.mode;
  if (mode.kind === 'page') {
    const [items, total] = await Promise.all([qb.clone().limit(mode.perPage).offset((mode.page - 1) * mode.perPage).getMany(), qb.getCount()]);
    const from = items.length ? (mode.page - 1) * mode.perPage + 1 : null;
    const pagination: Pagination = {
      current_page: mode.page,
      per_page: mode.perPage,
      total,
      last_page: Math.max(1, Math.ceil(total / mode.perPage)),
      from,
      to: from === null ? null : from + items.length - 1,
    };
    return new Page(items, pagination, list.fields);
  }
  if (mode.kind === 'offset') {
    const [items, total] = await Promise.all([qb.clone().limit(mode.limit).offset(mode.offset).getMany(), qb.getCount()]);
    return new Page(items, { limit: mode.limit, offset: mode.offset, total }, list.fields);
  }

  if (mode.after) {
    const after = mode.after;
    qb.andWhere(
      new Brackets((or) => {
        keys.forEach((key, i) => {
          or.orWhere(
            new Brackets((and) => {
              for (let j = 0; j < i; j++) {
                const p = param();
                and.andWhere(`${col(keys[j].field)} = :${p}`, { [p]: after[j] });
              }
              const p = param();
              and.andWhere(`${col(key.field)} ${key.descending ? '<' : '>'} :${p}`, { [p]: after[i] });
            }),
          );
        });
      }),
    );
  }
  const rows = await qb.limit(mode.limit + 1).getMany();
  const hasMore = rows.length > mode.limit;
  const items = hasMore ? rows.slice(0, mode.limit) : rows;
  const last = items.at(-1);
  const nextCursor =
    hasMore && last ? encodeCursor(keys.map((k) => cursorValue((last as Record<string, unknown>)[columns[k.field] ?? k.field]))) : null;
  return new Page(items, { limit: mode.limit, next_cursor: nextCursor, has_more: hasMore }, list.fields);
}
