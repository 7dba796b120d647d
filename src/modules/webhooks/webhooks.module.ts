import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { producerQueueOptions, Queues } from '@tessera/queue';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { EntitlementsModule } from '../entitlements/entitlements.module';
import { DeliveryLogRepository } from './delivery-log.repository';
import { DeliveryQueue } from './delivery-queue';
import { WebhookAttemptEntity, WebhookDeliveryEntity } from './webhook-delivery.entity';
import { WebhookDeliveriesController } from './webhook-deliveries.controller';
import { WebhookDeliveriesService } from './webhook-deliveries.service';
import { WebhookEndpointEntity } from './webhook-endpoint.entity';
import { WebhookHttpClient } from './webhook-http';
import { WebhookTestSender } from './webhook-test-sender';
import { WebhooksController } from './webhooks.controller';
import { WebhooksRepository } from './webhooks.repository';
import { WebhooksService } from './webhooks.service';

@Module({
  imports: [
    TypeOrmModule.forFeature([WebhookEndpointEntity, WebhookDeliveryEntity, WebhookAttemptEntity]),
    // The API only adds delivery jobs (manual retry, replay): a producer that fails fast without Redis.
    BullModule.registerQueueAsync({ name: Queues.webhooks, inject: [APP_CONFIG], useFactory: (config: AppConfig) => producerQueueOptions(config.redisUrl) }),
    EntitlementsModule,
  ],
  // WebhooksController's GET/PATCH/DELETE :id match any single segment: a controller with fixed
  // paths under /webhooks (event-types, inbound-sources) must be listed before it.
  controllers: [WebhookDeliveriesController, WebhooksController],
  providers: [WebhooksRepository, WebhooksService, DeliveryLogRepository, DeliveryQueue, WebhookHttpClient, WebhookTestSender, WebhookDeliveriesService],
  exports: [WebhooksService, WebhookDeliveriesService, DeliveryQueue],
})
export class WebhooksModule {}
