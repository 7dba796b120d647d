import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize, ArrayNotEmpty, IsArray, IsBoolean, IsIn, IsInt, IsISO8601, IsNotEmpty, IsObject, IsOptional, IsString, Max, MaxLength, Min, Validate,
  ValidationArguments, ValidatorConstraint, ValidatorConstraintInterface,
} from 'class-validator';
import { isEventPattern } from '../event-types';
import { SIGNATURE_SCHEMES, SignatureScheme } from '../signing';
import { webhookHeadersProblem, webhookSecretProblem } from '../webhook-rules';

@ValidatorConstraint({ name: 'eventPattern' })
class EventPatternConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return typeof value === 'string' && isEventPattern(value);
  }
  defaultMessage(args: ValidationArguments): string {
    return `"${String(args.value)}" is not an event type or wildcard; see GET /api/v1/webhooks/event-types`;
  }
}

@ValidatorConstraint({ name: 'webhookHeaders' })
class WebhookHeadersConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return webhookHeadersProblem(value) === null;
  }
  defaultMessage(args: ValidationArguments): string {
    return webhookHeadersProblem(args.value) ?? 'headers are invalid';
  }
}

@ValidatorConstraint({ name: 'webhookSecret' })
class WebhookSecretConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return webhookSecretProblem(value) === null;
  }
  defaultMessage(args: ValidationArguments): string {
    return webhookSecretProblem(args.value) ?? 'secret is invalid';
  }
}

const EVENTS_DESCRIPTION = 'Registered event types, prefix wildcards such as post.*, or * for every type (GET /api/v1/webhooks/event-types).';
const HEADERS_DESCRIPTION =
  'Extra request headers, name → value: at most 10, names up to 64 characters (an HTTP token), values up to 1024 printable characters. ' +
  'Refused: headers the transport owns (host, content-length, content-type, transfer-encoding, connection, …), webhook-* (the signature headers), ' +
  'and credentials (authorization, proxy-authorization, cookie), since header values are stored and shown as plain configuration: receivers authenticate deliveries by their signature.';

export class CreateWebhookDto {
  @ApiProperty({ maxLength: 2048, example: 'https://example.com/hooks/tessera', description: 'https only; every address the host resolves to must be public.' })
  @IsString() @IsNotEmpty() @MaxLength(2048)
  url: string;

  @ApiProperty({ type: [String], maxItems: 64, example: ['post.*', 'member.added'], description: EVENTS_DESCRIPTION })
  @IsArray() @ArrayNotEmpty() @ArrayMaxSize(64) @IsString({ each: true }) @Validate(EventPatternConstraint, { each: true })
  events: string[];

  @ApiPropertyOptional({ maxLength: 500 })
  @IsOptional() @IsString() @MaxLength(500)
  description?: string;

  @ApiPropertyOptional({ default: true })
  @IsOptional() @IsBoolean()
  is_active?: boolean;

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' }, example: { 'X-Team': 'payments' }, description: HEADERS_DESCRIPTION })
  @IsOptional() @IsObject() @Validate(WebhookHeadersConstraint)
  headers?: Record<string, string>;

  @ApiPropertyOptional({ minimum: 1, maximum: 10_000, description: 'At most this many deliveries per second to this endpoint (none when absent).' })
  @IsOptional() @IsInt() @Min(1) @Max(10_000)
  rate_limit_per_second?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 10, description: 'Deliveries to this endpoint in flight at once.' })
  @IsOptional() @IsInt() @Min(1) @Max(100)
  max_in_flight?: number;

  @ApiPropertyOptional({
    enum: SIGNATURE_SCHEMES,
    default: 'hmac-sha256',
    description: 'hmac-sha256: deliveries carry `v1,` signatures keyed by the whsec_ secret. ed25519: `v1a,` signatures by a generated whsk_ private key that never leaves Tessera; receivers verify with the whpk_ `public_key` of the endpoint.',
  })
  @IsOptional() @IsIn(SIGNATURE_SCHEMES)
  signature_scheme?: SignatureScheme;

  @ApiPropertyOptional({
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    description: 'hmac-sha256 only: whsec_ and the base64 of 24 to 64 random bytes; generated (24 bytes) when absent. Shown only in this answer.',
  })
  @IsOptional() @IsString() @Validate(WebhookSecretConstraint)
  secret?: string;
}

export class RotateSecretDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: 168, default: 24, description: 'How long the previous secret keeps signing beside the new one (every delivery carries both signatures); 0 retires it at once.' })
  @IsOptional() @IsInt() @Min(0) @Max(168)
  grace_period_hours?: number;

  @ApiPropertyOptional({ example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', description: 'hmac-sha256 endpoints only: the new secret (whsec_ and the base64 of 24 to 64 bytes); generated when absent.' })
  @IsOptional() @IsString() @Validate(WebhookSecretConstraint)
  secret?: string;
}

/** Which deliveries a replay queues again. */
export const REPLAYABLE_STATUSES = ['failed', 'success'] as const;

export class ReplayDto {
  @ApiProperty({ format: 'date-time', example: '2026-01-15T00:00:00.000Z', description: 'Deliveries created at or after this instant.' })
  @IsString() @IsISO8601({ strict: true })
  since: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Deliveries created before this instant (default: now).' })
  @IsOptional() @IsString() @IsISO8601({ strict: true })
  until?: string;

  @ApiPropertyOptional({ enum: REPLAYABLE_STATUSES, default: 'failed', description: 'failed: deliveries given up on; success: deliveries the receiver acknowledged (to send them again).' })
  @IsOptional() @IsIn(REPLAYABLE_STATUSES)
  status?: (typeof REPLAYABLE_STATUSES)[number];
}

export class UpdateWebhookDto {
  @ApiPropertyOptional({ maxLength: 2048 })
  @IsOptional() @IsString() @IsNotEmpty() @MaxLength(2048)
  url?: string;

  @ApiPropertyOptional({ type: [String], maxItems: 64, description: EVENTS_DESCRIPTION })
  @IsOptional() @IsArray() @ArrayNotEmpty() @ArrayMaxSize(64) @IsString({ each: true }) @Validate(EventPatternConstraint, { each: true })
  events?: string[];

  @ApiPropertyOptional({ maxLength: 500 })
  @IsOptional() @IsString() @MaxLength(500)
  description?: string;

  @ApiPropertyOptional()
  @IsOptional() @IsBoolean()
  is_active?: boolean;

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' }, description: `Replaces every custom header. ${HEADERS_DESCRIPTION}` })
  @IsOptional() @IsObject() @Validate(WebhookHeadersConstraint)
  headers?: Record<string, string>;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 10_000, nullable: true, description: 'null removes the limit.' })
  @IsOptional() @IsInt() @Min(1) @Max(10_000)
  rate_limit_per_second?: number | null;

  @ApiPropertyOptional({ minimum: 1, maximum: 100 })
  @IsOptional() @IsInt() @Min(1) @Max(100)
  max_in_flight?: number;
}
