import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export interface PagePagination {
  current_page: number;
  per_page: number;
  total: number;
  last_page: number;
  from: number | null;
  to: number | null;
  /** Present (true) when `total` is the planner's estimate: the exact count would cost more than the page. */
  total_is_estimate?: true;
}
export interface CursorPagination {
  limit: number;
  next_cursor: string | null;
  has_more: boolean;
}
export interface OffsetPagination {
  limit: number;
  offset: number;
  total: number;
  total_is_estimate?: true;
}
export type Pagination = PagePagination | CursorPagination | OffsetPagination;

/** What a list route returns; the envelope interceptor turns it into data, meta.pagination and links. */
export class Page<T> {
  constructor(
    readonly items: T[],
    readonly pagination: Pagination,
    readonly fields?: string[],
  ) {}

  map<U>(fn: (item: T) => U): Page<U> {
    return new Page(this.items.map(fn), this.pagination, this.fields);
  }
}

export class MetaDto {
  @ApiProperty({ example: 'req_01JD2V6ZQ8W3M9Q7R4T5Y6U7I8' }) request_id: string;
  @ApiProperty({ example: '2026-01-15T10:30:00.000Z', format: 'date-time' }) timestamp: string;
}

export class ErrorMetaDto extends MetaDto {
  @ApiPropertyOptional({
    description: 'Per-field messages (400, 409, 422).',
    type: 'object',
    additionalProperties: { type: 'array', items: { type: 'string' } },
    example: { email: ['email must be an email'] },
  })
  errors?: Record<string, string[]>;
  @ApiPropertyOptional({ type: [String], description: 'Scopes the route needs (403 FORBIDDEN).' })
  required_scopes?: string[];
}

export class ErrorEnvelopeDto {
  @ApiProperty({ example: false }) success: boolean;
  @ApiProperty({ example: 404 }) status: number;
  @ApiProperty({ example: 'NOT_FOUND' }) code: string;
  @ApiProperty({ example: 'Workspace not found.' }) message: string;
  @ApiProperty({ type: 'null', example: null }) data: null;
  @ApiProperty({ type: ErrorMetaDto }) meta: ErrorMetaDto;
}

export class PaginationMetaDto {
  @ApiPropertyOptional() current_page?: number;
  @ApiPropertyOptional() per_page?: number;
  @ApiPropertyOptional() total?: number;
  @ApiPropertyOptional() last_page?: number;
  @ApiPropertyOptional({ type: 'integer', nullable: true }) from?: number | null;
  @ApiPropertyOptional({ type: 'integer', nullable: true }) to?: number | null;
  @ApiPropertyOptional({ description: 'Page mode on a large list: true when total (and last_page) are estimates.' }) total_is_estimate?: boolean;
  @ApiPropertyOptional() limit?: number;
  @ApiPropertyOptional() offset?: number;
  @ApiPropertyOptional({ type: 'string', nullable: true }) next_cursor?: string | null;
  @ApiPropertyOptional() has_more?: boolean;
}

export class ListMetaDto extends MetaDto {
  @ApiProperty({ type: PaginationMetaDto }) pagination: PaginationMetaDto;
}

export class LinksDto {
  @ApiPropertyOptional({ type: 'string', nullable: true }) first?: string | null;
  @ApiPropertyOptional({ type: 'string', nullable: true }) last?: string | null;
  @ApiPropertyOptional({ type: 'string', nullable: true }) prev?: string | null;
  @ApiPropertyOptional({ type: 'string', nullable: true }) next?: string | null;
}
