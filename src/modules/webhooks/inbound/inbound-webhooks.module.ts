import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { RateLimitModule } from '../../rate-limit/rate-limit.module';
import { InboundReceiverController } from './inbound-receiver.controller';
import { InboundReceiverService } from './inbound-receiver.service';
import { InboundSourceEntity } from './inbound-source.entity';
import { InboundSourcesController } from './inbound-sources.controller';
import { InboundSourcesRepository } from './inbound-sources.repository';
import { InboundSourcesService } from './inbound-sources.service';

/**
 * Inbound webhooks: sources (/webhooks/inbound-sources) and the route providers post to
 * (/inbound/{source_id}). AppModule imports it before WebhooksModule, so that on Express
 * /webhooks/inbound-sources is routed here before /webhooks/:id can take it.
 */
@Module({
  imports: [TypeOrmModule.forFeature([InboundSourceEntity]), RateLimitModule],
  controllers: [InboundSourcesController, InboundReceiverController],
  providers: [InboundSourcesRepository, InboundSourcesService, InboundReceiverService],
})
export class InboundWebhooksModule {}
