import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { EventTypeInfo } from './event-types';
import { SIGNATURE_SCHEMES, SignatureScheme } from './signing';
import { DELIVERY_STATUSES, DeliveryStatus, WebhookAttemptEntity, WebhookDeliveryEntity } from './webhook-delivery.entity';
import { WebhookEndpointWithStats } from './webhook-endpoint.entity';

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
  @ApiProperty({ enum: SIGNATURE_SCHEMES }) signature_scheme: SignatureScheme;
  @ApiProperty({ type: 'string', nullable: true, example: 'whpk_…', description: 'ed25519 endpoints: the whpk_ public key receivers verify `v1a,` signatures with; null for hmac-sha256.' }) public_key: string | null;
  @ApiProperty({ type: 'string', format: 'date-time', nullable: true, description: 'While set and in the future, deliveries also carry a signature by the secret before the last rotation.' }) previous_secret_expires_at: string | null;
  @ApiProperty({ type: 'string', format: 'date-time' }) created_at: string;
  @ApiProperty({ type: 'string', format: 'date-time' }) updated_at: string;
}

export class CreatedWebhookDto extends WebhookDto {
  @ApiProperty({ example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', description: 'The signing secret (whsec_…, or the whsk_ private key of an ed25519 endpoint): shown only in this answer.' }) secret: string;
}

export class RotatedSecretDto extends CreatedWebhookDto {}

export class DeliveryDto {
  @ApiProperty({ example: 'dlv_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8' }) id: string;
  @ApiProperty({ example: 'evt_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8', description: 'Also the webhook-id header of every attempt.' }) event_id: string;
  @ApiProperty({ example: 'post.created' }) event_type: string;
  @ApiProperty({ enum: DELIVERY_STATUSES, description: 'pending → success, or retrying → success | failed.' }) status: DeliveryStatus;
  @ApiProperty({ type: 'integer', description: 'Attempts made so far.' }) attempts: number;
  @ApiProperty({ type: 'string', format: 'date-time', nullable: true }) next_retry_at: string | null;
  @ApiProperty({ type: 'integer', nullable: true }) last_status_code: number | null;
  @ApiProperty({ type: 'string', nullable: true }) last_error: string | null;
  @ApiProperty({ type: 'string', format: 'date-time' }) created_at: string;
  @ApiProperty({ type: 'string', format: 'date-time' }) updated_at: string;
  @ApiProperty({ type: 'string', format: 'date-time', nullable: true }) completed_at: string | null;
  @ApiProperty({ type: 'integer', description: 'The number of the latest attempt (0 before the first): `attempts` under the name the webhooks issue and seed 002 use.' }) attempt: number;
  @ApiProperty({ type: 'integer', nullable: true, description: 'The latest answer\'s HTTP status: `last_status_code` under seed 002\'s name.' }) response_code: number | null;
  @ApiProperty({ type: 'string', format: 'date-time', nullable: true, description: 'When it succeeded (seed 002); null unless status is success.' }) delivered_at: string | null;
}

export class AttemptDto {
  @ApiProperty({ type: 'integer', example: 1 }) attempt: number;
  @ApiProperty({ type: 'integer', nullable: true, description: 'null when no HTTP answer came (timeout, refused address, connection error).' }) status_code: number | null;
  @ApiProperty({ type: 'string', nullable: true, description: 'The first 4 KB of the answer.' }) response_body: string | null;
  @ApiProperty({ type: 'integer' }) duration_ms: number;
  @ApiProperty({ type: 'string', nullable: true }) error: string | null;
  @ApiProperty({ type: 'string', format: 'date-time' }) created_at: string;
}

export class DeliveryEventDto {
  @ApiProperty({ example: 'evt_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8' }) id: string;
  @ApiProperty({ example: 'post.created' }) type: string;
  @ApiProperty({ type: 'string', format: 'date-time' }) created_at: string;
  @ApiProperty({ example: 'ws_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8' }) workspace_id: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) data: Record<string, unknown>;
}

export class DeliveryDetailDto extends DeliveryDto {
  @ApiProperty({ type: [AttemptDto], description: 'Every attempt, oldest first.' }) attempt_log: AttemptDto[];
  @ApiProperty({ type: DeliveryEventDto, nullable: true, description: 'The payload that is delivered (null once retention purged the event).' }) event: DeliveryEventDto | null;
}

export class TestSendResultDto {
  @ApiProperty({ description: 'Whether the receiver answered 2xx within the timeout.' }) success: boolean;
  @ApiProperty({ type: 'integer', nullable: true }) status_code: number | null;
  @ApiProperty({ type: 'integer' }) response_time_ms: number;
  @ApiPropertyOptional({ type: 'string', description: 'The first 4 KB of the answer (when one came).' }) response_body?: string;
  @ApiPropertyOptional({ type: 'string', description: 'Why it failed (non-2xx status, timeout, refused address, connection error).' }) error?: string;
  @ApiProperty({ example: 'evt_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8', description: 'The webhook-id the test carried.' }) event_id: string;
}

export class ReplayResultDto {
  @ApiProperty({ type: 'integer', description: 'Deliveries set back to pending and queued.' }) queued: number;
  @ApiProperty({ type: 'integer', example: 10_000, description: 'The most one call queues.' }) limit: number;
  @ApiProperty({ description: 'More deliveries match the window: call again with the same body to queue the next ones.' }) has_more: boolean;
}

export class EventTypeDto {
  @ApiProperty({ example: 'post.created' }) type: string;
  @ApiProperty() description: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'An example of the data of a delivery of this type.' }) example: Record<string, unknown>;
}

export function presentWebhook(e: WebhookEndpointWithStats): WebhookDto {
  return {
    id: e.id,
    url: e.url,
    description: e.description,
    events: [...e.events],
    is_active: e.isActive,
    headers: { ...e.headers },
    rate_limit_per_second: e.rateLimitPerSecond,
    max_in_flight: e.maxInFlight,
    success_count: e.stats.successCount,
    failure_count: e.stats.failureCount,
    consecutive_failures: e.stats.consecutiveFailures,
    last_delivery_at: e.stats.lastDeliveryAt?.toISOString() ?? null,
    disabled_reason: e.disabledReason,
    signature_scheme: e.signatureScheme,
    public_key: e.publicKey,
    previous_secret_expires_at: e.previousSecretSealed && e.previousSecretExpiresAt ? e.previousSecretExpiresAt.toISOString() : null,
    created_at: e.createdAt.toISOString(),
    updated_at: e.updatedAt.toISOString(),
  };
}

export function presentDelivery(d: WebhookDeliveryEntity): DeliveryDto {
  return {
    id: d.id,
    event_id: d.eventId,
    event_type: d.eventType,
    status: d.status,
    attempts: d.attempts,
    next_retry_at: d.nextRetryAt?.toISOString() ?? null,
    last_status_code: d.lastStatusCode,
    last_error: d.lastError,
    created_at: d.createdAt.toISOString(),
    updated_at: d.updatedAt.toISOString(),
    completed_at: d.completedAt?.toISOString() ?? null,
    attempt: d.attempts,
    response_code: d.lastStatusCode,
    delivered_at: d.status === 'success' ? (d.completedAt?.toISOString() ?? null) : null,
  };
}

export function presentAttempt(a: WebhookAttemptEntity): AttemptDto {
  return { attempt: a.attempt, status_code: a.statusCode, response_body: a.responseBody, duration_ms: a.durationMs, error: a.error, created_at: a.createdAt.toISOString() };
}

export function presentEventType(e: EventTypeInfo): EventTypeDto {
  return { type: e.type, description: e.description, example: e.example };
}
