import { ApiProperty } from '@nestjs/swagger';
import { EventTypeInfo } from './event-types';
import { WebhookEndpointEntity } from './webhook-endpoint.entity';

export class WebhookDto {
  @ApiProperty({ example: 'whk_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8' }) id: string;
  @ApiProperty({ example: 'https://example.com/hooks/tessera' }) url: string;
  @ApiProperty() description: string;
  @ApiProperty({ type: [String], example: ['post.*'] }) events: string[];
  @ApiProperty() is_active: boolean;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } }) headers: Record<string, string>;
  @ApiProperty({ type: 'integer', nullable: true }) rate_limit_per_second: number | null;
  @ApiProperty({ type: 'integer' }) max_in_flight: number;
  @ApiProperty({ type: 'integer' }) success_count: number;
  @ApiProperty({ type: 'integer' }) failure_count: number;
  @ApiProperty({ type: 'integer' }) consecutive_failures: number;
  @ApiProperty({ type: 'string', format: 'date-time', nullable: true }) last_delivery_at: string | null;
  @ApiProperty({ type: 'string', nullable: true, description: 'Why the endpoint was disabled, when it was.' }) disabled_reason: string | null;
  @ApiProperty({ type: 'string', format: 'date-time' }) created_at: string;
  @ApiProperty({ type: 'string', format: 'date-time' }) updated_at: string;
}

export class CreatedWebhookDto extends WebhookDto {
  @ApiProperty({ example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', description: 'The signing secret: shown only in this answer.' }) secret: string;
}

export class EventTypeDto {
  @ApiProperty({ example: 'post.created' }) type: string;
  @ApiProperty() description: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'An example of the data of a delivery of this type.' }) example: Record<string, unknown>;
}

export function presentWebhook(e: WebhookEndpointEntity): WebhookDto {
  return {
    id: e.id,
    url: e.url,
    description: e.description,
    events: [...e.events],
    is_active: e.isActive,
    headers: { ...e.headers },
    rate_limit_per_second: e.rateLimitPerSecond,
    max_in_flight: e.maxInFlight,
    success_count: e.successCount,
    failure_count: e.failureCount,
    consecutive_failures: e.consecutiveFailures,
    last_delivery_at: e.lastDeliveryAt?.toISOString() ?? null,
    disabled_reason: e.disabledReason,
    created_at: e.createdAt.toISOString(),
    updated_at: e.updatedAt.toISOString(),
  };
}

export function presentEventType(e: EventTypeInfo): EventTypeDto {
  return { type: e.type, description: e.description, example: e.example };
}
