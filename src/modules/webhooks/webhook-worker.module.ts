import { BullModule, Processor } from '@nestjs/bullmq';
import { DynamicModule, Module } from '@nestjs/common';
import { Queues } from '@tessera/queue';
import { AppConfig } from '../../config/config';
import { DeliveriesRepository } from './deliveries.repository';
import { DeliveryProcessor } from './delivery.processor';
import { DeliveryQueue } from './delivery-queue';
import { EndpointFairness } from './endpoint-fairness';
import { OutboxRelay } from './outbox-relay';
import { WebhookDeliverer } from './webhook-deliverer';
import { WebhookHttpClient } from './webhook-http';

/**
 * Webhook delivery, in the worker process: the outbox relay, the delivery processor with its
 * per-endpoint fairness, and retention. Needs BullModule.forRoot (bullModules) in the process.
 */
@Module({})
export class WebhookWorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    // The worker's options come from the configuration, which a class decorator cannot read:
    // the decorator's metadata is set again here, before the BullMQ explorer creates the worker.
    Processor(Queues.webhooks, {
      concurrency: config.webhooks.concurrency,
      lockDuration: config.webhooks.lockDurationMs,
      // A job whose worker died is taken up again once its lock lapsed, found by a check this often;
      // stalling twice is a pattern, not a crash (the recovery sweep still re-queues its delivery).
      stalledInterval: 5_000,
      maxStalledCount: 2,
    })(DeliveryProcessor);
    return {
      module: WebhookWorkerModule,
      imports: [BullModule.registerQueue({ name: Queues.webhooks })],
      providers: [DeliveriesRepository, DeliveryQueue, WebhookHttpClient, EndpointFairness, WebhookDeliverer, OutboxRelay, DeliveryProcessor],
      exports: [OutboxRelay, DeliveryProcessor, DeliveriesRepository],
    };
  }
}
