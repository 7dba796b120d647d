import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppLogger } from '@tessera/common';
import { loadConfigOrExit } from './config/load';
import { WorkerModule } from './worker.module';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { bufferLogs: true });
  app.useLogger(app.get(AppLogger));
  // SIGTERM/SIGINT: BullMQ workers stop taking jobs, finish the active ones, then connections close.
  app.enableShutdownHooks();
  app.get(AppLogger).log('worker started');
}

main().catch((err: unknown) => {
  process.stderr.write(`worker failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
