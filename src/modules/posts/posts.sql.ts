import { encodeCursor, ListQuery, Pagination } from '@tessera/common';
import type { PostDto } from './post.presenter';

/**
 * The posts list as hand-written SQL: the hot read of the sample resource. The list parser has
 * already whitelisted sort, fields and filters; every identifier here still comes from the fixed
 * maps below, and every value is a bind parameter. Statements are named (prepared once per
 * connection) by their text's shape, so the same shape of query is planned once.
 */

/** Wire field → column, for sorting, ranges and exact filters. */
const COLUMNS: Record<string, string> = {
  id: 'p.id',
  title: 'p.title',
  status: 'p.status',
  created_at: 'p.created_at',
  updated_at: 'p.updated_at',
};

/**
 * Past this many matching rows, page mode reports the planner's estimate of the total
 * (`total_is_estimate: true`) instead of counting every row: the count is capped so that it never
 * costs more than a bounded index scan, whatever the table's size.
 */
export const EXACT_COUNT_LIMIT = 10_000;

const ISO = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

export interface PostRow {
  id: string;
  title: string;
  body: string;
  status: string;
  tags: string[];
  author_id: string | null;
  /** ISO 8601 UTC, as the wire has it. */
  created_at: string;
  updated_at: string;
  author_name?: string | null;
  author_email?: string | null;
}

export interface PostListStatements {
  /** The rows of the page (cursor mode: one more than the limit, to know whether more follow). */
  rows: { name: string; text: string; values: unknown[] };
  /** Page and offset modes: the count, capped at EXACT_COUNT_LIMIT + 1. */
  count?: { name: string; text: string; values: unknown[] };
  /** Page and offset modes, when the capped count overflows: the planner's row estimate. */
  estimate?: { text: string; values: unknown[] };
  /** Sort keys with `id` as the final tie-breaker, for the next cursor. */
  keys: { field: string; descending: boolean }[];
  withAuthor: boolean;
}

/** A short stable name for a statement text (PostgreSQL names are at most 63 bytes). */
function statementName(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return `posts_list_${(h >>> 0).toString(36)}_${text.length}`;
}

function column(field: string): string {
  const c = COLUMNS[field];
  if (!c) throw new Error(`posts list: no column for "${field}"`);
  return c;
}

/** Builds the statements of one posts list request. */
export function postListStatements(workspaceId: string, list: ListQuery): PostListStatements {
  const values: unknown[] = [workspaceId];
  const bind = (v: unknown) => `$${values.push(v)}`;
  const where = ['p.workspace_id = $1'];
  if (list.search) where.push(`p.search @@ plainto_tsquery('simple', ${bind(list.search)})`);
  for (const [field, value] of Object.entries(list.filters)) {
    if (field === 'tag') where.push(`${bind(value)} = ANY(p.tags)`);
    else where.push(`${column(field)} = ${bind(value)}`);
  }
  if (list.createdAfter) where.push(`p.created_at > ${bind(list.createdAfter)}`);
  if (list.createdBefore) where.push(`p.created_at < ${bind(list.createdBefore)}`);
  if (list.updatedAfter) where.push(`p.updated_at > ${bind(list.updatedAfter)}`);
  if (list.updatedBefore) where.push(`p.updated_at < ${bind(list.updatedBefore)}`);

  const keys = [...list.sort, { field: 'id', descending: list.sort.at(-1)?.descending ?? false }];
  const orderBy = keys.map((k) => `${column(k.field)} ${k.descending ? 'DESC' : 'ASC'}`).join(', ');
  const withAuthor = list.include.includes('author');
  // Timestamps leave PostgreSQL already in the wire format (ISO 8601 UTC, milliseconds: the
  // columns are timestamptz(3)), so no Date is parsed and formatted again per row.
  const select =
    `SELECT p.id, p.title, p.body, p.status, p.tags, p.author_id, ${ISO('p.created_at')} AS created_at, ${ISO('p.updated_at')} AS updated_at` +
    (withAuthor ? ', a.name AS author_name, a.email AS author_email FROM posts p LEFT JOIN users a ON a.id = p.author_id' : ' FROM posts p');

  const mode = list.mode;
  if (mode.kind === 'cursor') {
    const rowWhere = [...where];
    if (mode.after) {
      const after = mode.after;
      const sameDirection = keys.every((k) => k.descending === keys[0].descending);
      if (sameDirection) {
        // One row comparison: the index on (workspace_id, sort key, id) answers it as a range.
        const params = keys.map((_, i) => bind(after[i]));
        rowWhere.push(`(${keys.map((k) => column(k.field)).join(', ')}) ${keys[0].descending ? '<' : '>'} (${params.join(', ')})`);
      } else {
        const ors = keys.map((key, i) => {
          const ands = keys.slice(0, i).map((k, j) => `${column(k.field)} = ${bind(after[j])}`);
          ands.push(`${column(key.field)} ${key.descending ? '<' : '>'} ${bind(after[i])}`);
          return `(${ands.join(' AND ')})`;
        });
        rowWhere.push(`(${ors.join(' OR ')})`);
      }
    }
    const text = `${select} WHERE ${rowWhere.join(' AND ')} ORDER BY ${orderBy} LIMIT ${bind(mode.limit + 1)}`;
    return { rows: { name: statementName(text), text, values }, keys, withAuthor };
  }

  const filter = where.join(' AND ');
  const filterValues = [...values];
  const limit = mode.kind === 'page' ? mode.perPage : mode.limit;
  const offset = mode.kind === 'page' ? (mode.page - 1) * mode.perPage : mode.offset;
  const rowsText = `${select} WHERE ${filter} ORDER BY ${orderBy} LIMIT ${bind(limit)} OFFSET ${bind(offset)}`;
  const countText = `SELECT count(*)::int AS n FROM (SELECT 1 FROM posts p WHERE ${filter} LIMIT ${EXACT_COUNT_LIMIT + 1}) capped`;
  return {
    rows: { name: statementName(rowsText), text: rowsText, values },
    count: { name: statementName(countText), text: countText, values: filterValues },
    estimate: { text: `EXPLAIN (FORMAT JSON) SELECT 1 FROM posts p WHERE ${filter}`, values: filterValues },
    keys,
    withAuthor,
  };
}

/** A row straight to the response shape (PostDto), mapped once. */
export function postRowToDto(r: PostRow, withAuthor: boolean): PostDto {
  const dto: PostDto = {
    id: r.id,
    title: r.title,
    body: r.body,
    status: r.status,
    tags: r.tags,
    author_id: r.author_id,
    created_at: r.created_at,
    updated_at: r.updated_at,
  };
  if (withAuthor) dto.author = r.author_id && r.author_name != null ? { id: r.author_id, name: r.author_name, email: r.author_email ?? '' } : null;
  return dto;
}

/** The next cursor after `last`, in the encoding the list parser decodes. */
export function nextCursorOf(last: PostDto, keys: { field: string }[]): string {
  return encodeCursor(keys.map((k) => last[k.field as keyof PostDto] as string));
}

/** Page-mode pagination from the page's size and the (maybe estimated) total. */
export function pagePagination(page: number, perPage: number, count: number, total: number, estimated: boolean): Pagination {
  const from = count ? (page - 1) * perPage + 1 : null;
  return {
    current_page: page,
    per_page: perPage,
    total,
    last_page: Math.max(1, Math.ceil(total / perPage)),
    from,
    to: from === null ? null : from + count - 1,
    ...(estimated ? { total_is_estimate: true as const } : {}),
  };
}
