import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { Queues } from '@tessera/queue';
import { PixelEventsProcessor } from './pixel-events.processor';
import { PixelEventsRepository } from './pixel-events.repository';

/** Pixel tracking, worker side: writes the queued batches. Needs BullModule.forRoot (bullModules) in the process. */
@Module({
  imports: [BullModule.registerQueue({ name: Queues.pixel })],
  providers: [PixelEventsRepository, PixelEventsProcessor],
})
export class PixelWorkerModule {}
