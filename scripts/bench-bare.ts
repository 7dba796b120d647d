// The references of bench:api, on the HTTP platform named by HTTP_ADAPTER, run from dist/ by
// scripts/bench-api.mjs:
// - GET /bare: one constant-JSON NestJS route and nothing else;
// - GET /floor (with FLOOR_DATABASE_URL and FLOOR_WORKSPACE_ID): the least work that answers the
//   posts list — bare Nest sending the very statements the posts repository sends (page + count,
//   or the cursor page) through `pg`, and the same envelope; no auth, rate limit, metering or logs.
import 'reflect-metadata';
import { Controller, Get, INestApplication, Module, Query } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Pool } from 'pg';
import { ListQuery } from '@tessera/common';
import { PLAN_OPTIONS } from '@tessera/database';
import { nextCursorOf, pagePagination, postListStatements, PostRow, postRowToDto } from '../src/modules/posts/posts.sql';

const BODY = { success: true, status: 200, code: 'OK', message: 'OK.', data: { hello: 'world' } };
const base = `http://127.0.0.1:${process.env.PORT ?? 3100}`;
const workspaceId = process.env.FLOOR_WORKSPACE_ID ?? '';
const pool = process.env.FLOOR_DATABASE_URL ? new Pool({ connectionString: process.env.FLOOR_DATABASE_URL, max: 20, options: PLAN_OPTIONS }) : null;
const sort = [{ field: 'created_at', descending: true }];
const pageQuery: ListQuery = { mode: { kind: 'page', page: 1, perPage: 25 }, sort, include: [], filters: {} };
const cursorQuery: ListQuery = { mode: { kind: 'cursor', limit: 25, after: null }, sort, include: [], filters: {} };
// Built once: the floor pays for the round trips, not for building SQL.
const pageStatements = postListStatements(workspaceId, pageQuery);
const cursorStatements = postListStatements(workspaceId, cursorQuery);
let requests = 0;

function meta(pagination: unknown) {
  return { request_id: `req_floor${++requests}`, timestamp: new Date().toISOString(), pagination };
}

@Controller()
class BareController {
  @Get('bare')
  bare(): typeof BODY {
    return BODY;
  }

  @Get('floor')
  async floor(@Query('mode') mode?: string): Promise<unknown> {
    if (mode === 'cursor') {
      const { rows } = await pool!.query<PostRow>(cursorStatements.rows);
      const hasMore = rows.length > 25;
      const items = (hasMore ? rows.slice(0, 25) : rows).map((r) => postRowToDto(r, false));
      const next = hasMore ? nextCursorOf(items[24], cursorStatements.keys) : null;
      return {
        success: true, status: 200, code: 'OK', message: 'Posts fetched.', data: items,
        meta: meta({ limit: 25, next_cursor: next, has_more: hasMore }),
        links: { next: next ? `${base}/floor?mode=cursor&cursor=${next}` : null },
      };
    }
    const [{ rows }, count] = await Promise.all([pool!.query<PostRow>(pageStatements.rows), pool!.query<{ n: number }>(pageStatements.count!)]);
    const items = rows.map((r) => postRowToDto(r, false));
    const pagination = pagePagination(1, 25, items.length, count.rows[0].n, false) as { last_page: number };
    return {
      success: true, status: 200, code: 'OK', message: 'Posts fetched.', data: items,
      meta: meta(pagination),
      links: { first: `${base}/floor?page=1`, last: `${base}/floor?page=${pagination.last_page}`, prev: null, next: pagination.last_page > 1 ? `${base}/floor?page=2` : null },
    };
  }
}

@Module({ controllers: [BareController] })
class BareModule {}

async function main(): Promise<void> {
  let app: INestApplication;
  if (process.env.HTTP_ADAPTER === 'fastify') {
    const { FastifyAdapter } = await import('@nestjs/platform-fastify');
    app = await NestFactory.create(BareModule, new FastifyAdapter(), { logger: false });
  } else {
    app = await NestFactory.create(BareModule, { logger: false });
  }
  await app.listen(Number(process.env.PORT ?? 3100), '127.0.0.1');
  process.on('SIGTERM', () => void app.close().then(() => pool?.end()).then(() => process.exit(0)));
}

void main();
