import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { ApiQuery } from '@nestjs/swagger';
import { ListSpec, parseListQuery, MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE } from './list-query';
import { ApiErrors } from './returns.decorator';

function documentation(spec: ListSpec): MethodDecorator[] {
  const q = (name: string, description: string, schema: Record<string, unknown> = { type: 'string' }) =>
    ApiQuery({ name, required: false, description, schema }) as MethodDecorator;
  const docs = [
    q('page', 'Page mode: page number, from 1.', { type: 'integer', minimum: 1 }),
    q('per_page', `Page mode: items per page (default ${DEFAULT_PAGE_SIZE}, max ${MAX_PAGE_SIZE}).`, { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE }),
    q('limit', `Cursor or offset mode: items to return (default ${DEFAULT_PAGE_SIZE}, max ${MAX_PAGE_SIZE}). With page (and no per_page): an alias of per_page.`, { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE }),
    q('cursor', 'Cursor mode: the opaque next_cursor of the previous page.'),
    q('offset', 'Offset mode: items to skip (with limit).', { type: 'integer', minimum: 0 }),
    q('sort', `Comma-separated, "-" for descending. Fields: ${spec.sortable.join(', ')}. Default ${spec.defaultSort}.`),
    q('sortBy', `Alias of sort for one field (Intuka dialect): ${spec.sortable.join(', ')}. Not with sort.`, { type: 'string', enum: [...spec.sortable] }),
    q('sortOrder', 'With sortBy: asc or desc (default desc). Not with sort.', { type: 'string', enum: ['asc', 'desc'] }),
    q('created_after', 'Only items created after this instant.', { type: 'string', format: 'date-time' }),
    q('created_before', 'Only items created before this instant.', { type: 'string', format: 'date-time' }),
  ];
  if (spec.updatable) {
    docs.push(q('updated_after', 'Only items updated after this instant.', { type: 'string', format: 'date-time' }));
    docs.push(q('updated_before', 'Only items updated before this instant.', { type: 'string', format: 'date-time' }));
  }
  if (spec.fields) docs.push(q('fields', `Sparse fields, comma-separated: ${spec.fields.join(', ')}.`));
  if (spec.includes?.length) docs.push(q('include', `Related objects to embed: ${spec.includes.join(', ')}.`));
  if (spec.searchable) docs.push(q('search', 'Full-text search.'));
  for (const [name, values] of Object.entries(spec.filters ?? {})) {
    docs.push(q(name, `Filter by ${name}.`, values ? { type: 'string', enum: [...values] } : { type: 'string' }));
  }
  return [...docs, ApiErrors(400)];
}

/** Injects the parsed list parameters of the contract and documents them in OpenAPI. */
export function ListParams(spec: ListSpec): ParameterDecorator {
  // Nest calls a param decorator's enhancers as (target, key, index); the Swagger method
  // decorators want the method's descriptor instead.
  const enhancers = documentation(spec).map(
    (decorate): ParameterDecorator =>
      (target, key) => {
        if (key !== undefined) decorate(target, key, Object.getOwnPropertyDescriptor(target, key)!);
      },
  );
  return createParamDecorator(
    (_: unknown, ctx: ExecutionContext) => parseListQuery(ctx.switchToHttp().getRequest<{ query: Record<string, unknown> }>().query ?? {}, spec),
    enhancers,
  )();
}
