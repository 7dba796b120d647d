// The baseline of bench:api: one constant-JSON NestJS route and nothing else, on the HTTP
// platform named by HTTP_ADAPTER. Run from dist/ by scripts/bench-api.mjs.
import 'reflect-metadata';
import { Controller, Get, INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

const BODY = { success: true, status: 200, code: 'OK', message: 'OK.', data: { hello: 'world' } };

@Controller()
class BareController {
  @Get('bare')
  bare(): typeof BODY {
    return BODY;
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
  process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
}

void main();
