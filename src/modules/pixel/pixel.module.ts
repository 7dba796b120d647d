import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { producerQueueOptions, Queues } from '@tessera/queue';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { PixelEventsRepository } from './pixel-events.repository';
import { PixelIngest } from './pixel-ingest';
import { PixelSettingsRepository } from './pixel-settings.repository';
import { PixelSettingsController } from './pixel-settings.controller';
import { PixelController } from './pixel.controller';
import { PixelService } from './pixel.service';

/** Pixel tracking, API side: settings, the public routes (which only validate and queue) and stats. The worker stores (PixelWorkerModule). */
@Module({
  imports: [
    // A producer that fails fast without Redis: a track request is then 503, never held.
    BullModule.registerQueueAsync({ name: Queues.pixel, inject: [APP_CONFIG], useFactory: (config: AppConfig) => producerQueueOptions(config.redisUrl) }),
  ],
  controllers: [PixelSettingsController, PixelController],
  providers: [PixelSettingsRepository, PixelEventsRepository, PixelIngest, PixelService],
})
export class PixelModule {}
