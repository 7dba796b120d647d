import { ApiError, FieldErrors } from './errors';

export interface ListSpec {
  /** Wire names a caller may sort by; `id` is always the final tie-breaker. */
  sortable: readonly string[];
  /** Default sort, e.g. `-created_at`. */
  defaultSort: string;
  /** Wire names `fields=` may keep; omit to refuse sparse fields. */
  fields?: readonly string[];
  /** Relations `include=` may add. */
  includes?: readonly string[];
  /** Exact-match filters and their allowed values (`null` allows any non-empty value). */
  filters?: Readonly<Record<string, readonly string[] | null>>;
  /** Whether `search=` is offered. */
  searchable?: boolean;
  /** Whether the resource has an `updated_at` (for updated_after / updated_before). */
  updatable?: boolean;
}

export interface SortKey {
  field: string;
  descending: boolean;
}

export type ListMode =
  | { kind: 'page'; page: number; perPage: number }
  | { kind: 'cursor'; limit: number; after: unknown[] | null }
  | { kind: 'offset'; limit: number; offset: number };

export interface ListQuery {
  mode: ListMode;
  sort: SortKey[];
  fields?: string[];
  include: string[];
  filters: Record<string, string>;
  search?: string;
  createdAfter?: Date;
  createdBefore?: Date;
  updatedAfter?: Date;
  updatedBefore?: Date;
}

export const DEFAULT_PAGE_SIZE = 25;
export const MAX_PAGE_SIZE = 100;
const PAGINATION_PARAMS = ['page', 'per_page', 'limit', 'offset', 'cursor'];
/**
 * The Intuka seed's sort dialect (`sortBy=name&sortOrder=asc`), an alias of `sort=name`. Its
 * `sortOrder` defaults to `desc`, as in that seed; without `sortBy` it orders the default sort's field.
 */
const SORT_ALIAS_PARAMS = ['sortBy', 'sortOrder'];

export function encodeCursor(values: unknown[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

/** A timestamp as a cursor holds it: an ISO 8601 date-time string of a year PostgreSQL and Date both read. */
function isCursorInstant(value: unknown): boolean {
  return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$/.test(value) && !Number.isNaN(new Date(value).getTime());
}

function decodeCursor(cursor: string, length: number): unknown[] | null {
  try {
    const values: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(values) && values.length === length && values.every((v) => typeof v === 'string' || typeof v === 'number')) {
      return values;
    }
  } catch {
    // falls through to the 400 below
  }
  return null;
}

/** The query parameters a list with this spec accepts, for the OpenAPI document and the unknown-parameter check. */
export function listParameterNames(spec: ListSpec): string[] {
  const names = [...PAGINATION_PARAMS, 'sort', ...SORT_ALIAS_PARAMS, 'created_after', 'created_before'];
  if (spec.updatable) names.push('updated_after', 'updated_before');
  if (spec.fields) names.push('fields');
  if (spec.includes?.length) names.push('include');
  if (spec.searchable) names.push('search');
  names.push(...Object.keys(spec.filters ?? {}));
  return names;
}

/**
 * Parses the contract's list parameters (API.md, "Lists") strictly: anything unknown or out of
 * range is a 400 BAD_REQUEST naming the parameter, never silently ignored.
 */
export function parseListQuery(raw: Record<string, unknown>, spec: ListSpec): ListQuery {
  const errors: FieldErrors = {};
  const fail = (param: string, message: string) => (errors[param] ??= []).push(message);
  const allowed = new Set(listParameterNames(spec));

  const q: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (!allowed.has(key)) {
      fail(key, `unknown query parameter; this list accepts: ${[...allowed].join(', ')}`);
      continue;
    }
    if (typeof value !== 'string') {
      fail(key, 'must be given once, as a plain value');
      continue;
    }
    q[key] = value;
  }

  const int = (param: string, min: number, max: number): number | undefined => {
    const text = q[param];
    if (text === undefined) return undefined;
    if (!/^\d{1,9}$/.test(text) || Number(text) < min || Number(text) > max) {
      fail(param, max === Number.MAX_SAFE_INTEGER ? `must be an integer ≥ ${min}` : `must be an integer from ${min} to ${max}`);
      return undefined;
    }
    return Number(text);
  };
  const date = (param: string): Date | undefined => {
    const text = q[param];
    if (text === undefined) return undefined;
    const d = new Date(text);
    if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(d.getTime())) {
      fail(param, 'must be an ISO 8601 date or date-time');
      return undefined;
    }
    return d;
  };

  let sortText = q.sort ?? spec.defaultSort;
  if (q.sortBy !== undefined || q.sortOrder !== undefined) {
    if (q.sort !== undefined) fail('sortBy', 'cannot be combined with sort (use one of sort or sortBy/sortOrder)');
    const order = q.sortOrder ?? 'desc';
    if (order !== 'asc' && order !== 'desc') fail('sortOrder', 'must be asc or desc');
    const field = q.sortBy ?? spec.defaultSort.split(',')[0].replace(/^-/, '');
    // A comma or a leading "-" would smuggle the other dialect in; only one plain field is meant.
    if (!/^[a-z_]+$/.test(field)) fail('sortBy', `must be one field; sortable fields: ${spec.sortable.join(', ')}`);
    else if (q.sort === undefined) sortText = order === 'desc' ? `-${field}` : field;
  }

  const sortParam = q.sort === undefined && q.sortBy !== undefined ? 'sortBy' : 'sort';
  const sort: SortKey[] = [];
  for (const part of sortText.split(',')) {
    const descending = part.startsWith('-');
    const field = descending ? part.slice(1) : part;
    if (!spec.sortable.includes(field)) fail(sortParam, `cannot sort by "${field}"; sortable fields: ${spec.sortable.join(', ')}`);
    else if (sort.some((s) => s.field === field)) fail('sort', `"${field}" appears twice`);
    else sort.push({ field, descending });
  }

  let fields: string[] | undefined;
  if (q.fields !== undefined && spec.fields) {
    fields = q.fields.split(',').filter(Boolean);
    const unknown = fields.filter((f) => !spec.fields!.includes(f));
    if (unknown.length || !fields.length) fail('fields', `unknown field(s) ${unknown.join(', ')}; available: ${spec.fields.join(', ')}`);
    if (!fields.includes('id')) fields.unshift('id');
  }

  const include = q.include ? q.include.split(',') : [];
  for (const name of include) {
    if (!spec.includes?.includes(name)) fail('include', `cannot include "${name}"; available: ${(spec.includes ?? []).join(', ')}`);
  }

  const filters: Record<string, string> = {};
  for (const [name, values] of Object.entries(spec.filters ?? {})) {
    const value = q[name];
    if (value === undefined) continue;
    if (value === '' || (values && !values.includes(value))) {
      fail(name, values ? `must be one of: ${values.join(', ')}` : 'must not be empty');
    } else filters[name] = value;
  }

  let search: string | undefined;
  if (q.search !== undefined) {
    search = q.search.trim();
    if (!search || search.length > 200) fail('search', 'must be 1 to 200 characters');
  }

  const page = int('page', 1, 1_000_000);
  const perPage = int('per_page', 1, MAX_PAGE_SIZE);
  const limit = int('limit', 1, MAX_PAGE_SIZE);
  const offset = int('offset', 0, Number.MAX_SAFE_INTEGER);
  let mode: ListMode = { kind: 'page', page: page ?? 1, perPage: perPage ?? DEFAULT_PAGE_SIZE };
  const pageMode = q.page !== undefined || q.per_page !== undefined;
  if (q.page !== undefined && q.limit !== undefined && q.offset === undefined && q.cursor === undefined) {
    // The Intuka seed's page mode: `page` with `limit` as the page size, an alias of per_page.
    if (q.per_page !== undefined) fail('limit', 'cannot be combined with per_page (both are the page size)');
    mode = { kind: 'page', page: page ?? 1, perPage: limit ?? DEFAULT_PAGE_SIZE };
  } else if (q.offset !== undefined) {
    if (pageMode || q.cursor !== undefined) fail('offset', 'cannot be combined with page, per_page or cursor');
    mode = { kind: 'offset', limit: limit ?? DEFAULT_PAGE_SIZE, offset: offset ?? 0 };
  } else if (q.limit !== undefined || q.cursor !== undefined) {
    if (pageMode) fail('limit', 'cannot be combined with page or per_page (use one pagination mode)');
    let after: unknown[] | null = null;
    if (q.cursor !== undefined) {
      after = decodeCursor(q.cursor, sort.length + 1);
      if (!after) fail('cursor', 'is not a cursor this list issued with this sort');
      // A forged cursor's values reach the database as bind parameters: a timestamp key (*_at) must hold a real instant.
      else if (sort.some((k, i) => k.field.endsWith('_at') && !isCursorInstant(after![i]))) fail('cursor', 'is not a cursor this list issued with this sort');
    }
    mode = { kind: 'cursor', limit: limit ?? DEFAULT_PAGE_SIZE, after };
  }

  const result: ListQuery = {
    mode,
    sort,
    fields,
    include,
    filters,
    search,
    createdAfter: date('created_after'),
    createdBefore: date('created_before'),
    updatedAfter: date('updated_after'),
    updatedBefore: date('updated_before'),
  };
  if (Object.keys(errors).length) throw ApiError.badRequest('Invalid query parameters.', errors);
  return result;
}
