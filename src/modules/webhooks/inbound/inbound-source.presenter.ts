import { ApiProperty } from '@nestjs/swagger';
import { inboundEventType } from '@tessera/database';
import { InboundSourceEntity } from './inbound-source.entity';
import { INBOUND_SCHEMES, InboundScheme } from './inbound-signature';

export class InboundSourceDto {
  @ApiProperty({ example: 'src_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8' }) id: string;
  @ApiProperty({ example: 'stripe' }) name: string;
  @ApiProperty({ enum: INBOUND_SCHEMES }) scheme: InboundScheme;
  @ApiProperty() description: string;
  @ApiProperty() is_active: boolean;
  @ApiProperty({ example: 'https://api.example.com/api/v1/inbound/src_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8', description: 'Where the provider POSTs its callbacks.' }) url: string;
  @ApiProperty({ example: 'inbound.stripe.received', description: 'The type of the events its callbacks become.' }) event_type: string;
  @ApiProperty({ type: 'string', format: 'date-time' }) created_at: string;
  @ApiProperty({ type: 'string', format: 'date-time' }) updated_at: string;
}

export class CreatedInboundSourceDto extends InboundSourceDto {
  @ApiProperty({ example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', description: 'The verification secret: shown only in this answer.' }) secret: string;
}

export class ReceivedCallbackDto {
  @ApiProperty({ example: 'inb_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8' }) id: string;
  @ApiProperty({ type: 'string', nullable: true, example: 'evt_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8', description: 'The outbox event the callback became.' }) event_id: string | null;
  @ApiProperty({ example: 'inbound.stripe.received' }) event_type: string;
  @ApiProperty({ description: 'True when this message id was received before: nothing new was stored or emitted.' }) duplicate: boolean;
}

/** `baseUrl`: scheme and host the provider reaches this API at (PUBLIC_URL, else the request's). */
export function presentInboundSource(s: InboundSourceEntity, baseUrl: string): InboundSourceDto {
  return {
    id: s.id,
    name: s.name,
    scheme: s.scheme,
    description: s.description,
    is_active: s.isActive,
    url: `${baseUrl}/api/v1/inbound/${s.id}`,
    event_type: inboundEventType(s.name),
    created_at: s.createdAt.toISOString(),
    updated_at: s.updatedAt.toISOString(),
  };
}
