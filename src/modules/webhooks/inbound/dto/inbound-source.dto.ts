import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { INBOUND_SOURCE_NAME } from '@tessera/database';
import { IsBoolean, IsIn, IsNotEmpty, IsOptional, IsString, Matches, MaxLength, Validate, ValidationArguments, ValidatorConstraint, ValidatorConstraintInterface } from 'class-validator';
import { webhookSecretProblem } from '../../webhook-rules';
import { INBOUND_SCHEMES, InboundScheme } from '../inbound-signature';

/** Stripe's endpoint secrets: whsec_ and printable characters, used as given (their UTF-8 bytes are the HMAC key). */
const STRIPE_SECRET = /^whsec_[\x21-\x7e]{8,250}$/;

/** Why `secret` may not be the secret of a source of `scheme`, or null when it may. */
export function inboundSecretProblem(scheme: unknown, secret: unknown): string | null {
  if (scheme === 'stripe') {
    if (secret === undefined || secret === null) return 'secret is required for the stripe scheme: the endpoint secret (whsec_…) from the Stripe dashboard';
    return typeof secret === 'string' && STRIPE_SECRET.test(secret) ? null : 'secret must be the Stripe endpoint secret: whsec_ and 8 to 250 printable characters';
  }
  if (secret === undefined) return null;
  return webhookSecretProblem(secret);
}

@ValidatorConstraint({ name: 'inboundSecret' })
class InboundSecretConstraint implements ValidatorConstraintInterface {
  validate(value: unknown, args: ValidationArguments): boolean {
    return inboundSecretProblem((args.object as { scheme?: unknown }).scheme ?? 'standard-webhooks', value) === null;
  }
  defaultMessage(args: ValidationArguments): string {
    return inboundSecretProblem((args.object as { scheme?: unknown }).scheme ?? 'standard-webhooks', args.value) ?? 'secret is invalid';
  }
}

const NAME_DESCRIPTION = 'A lowercase slug (a-z, 0-9, _ and -, starting with a letter or digit, at most 40 characters), unique in the workspace. Callbacks become events of type inbound.<name>.received.';

export class CreateInboundSourceDto {
  @ApiProperty({ example: 'stripe', pattern: INBOUND_SOURCE_NAME.source, maxLength: 40, description: NAME_DESCRIPTION })
  @IsString() @Matches(INBOUND_SOURCE_NAME, { message: 'name must be a lowercase slug: a-z, 0-9, _ and -, starting with a letter or digit, at most 40 characters' })
  name: string;

  @ApiPropertyOptional({
    enum: INBOUND_SCHEMES,
    default: 'standard-webhooks',
    description: 'How the provider signs: standard-webhooks (webhook-id, webhook-timestamp, webhook-signature v1 HMAC) or stripe (Stripe-Signature: t=…,v1=… hex HMAC over "t.body").',
  })
  @IsOptional() @IsIn(INBOUND_SCHEMES)
  scheme?: InboundScheme;

  // Validated even when absent: a stripe source needs its secret.
  @ApiPropertyOptional({
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    description:
      'standard-webhooks: whsec_ and the base64 of 24 to 64 bytes, generated (24 bytes) when absent, to give to the provider. ' +
      'stripe: required, the endpoint secret (whsec_…) exactly as Stripe shows it. Returned only in this answer; stored sealed.',
  })
  @Validate(InboundSecretConstraint)
  secret?: string;

  @ApiPropertyOptional({ maxLength: 500 })
  @IsOptional() @IsString() @MaxLength(500)
  description?: string;

  @ApiPropertyOptional({ default: true, description: 'An inactive source refuses every callback (401).' })
  @IsOptional() @IsBoolean()
  is_active?: boolean;
}

export class UpdateInboundSourceDto {
  @ApiPropertyOptional({ example: 'stripe', pattern: INBOUND_SOURCE_NAME.source, maxLength: 40, description: `${NAME_DESCRIPTION} Renaming changes the type of later events: endpoints subscribed to the old exact type stop receiving them.` })
  @IsOptional() @IsString() @IsNotEmpty() @Matches(INBOUND_SOURCE_NAME, { message: 'name must be a lowercase slug: a-z, 0-9, _ and -, starting with a letter or digit, at most 40 characters' })
  name?: string;

  @ApiPropertyOptional({ maxLength: 500 })
  @IsOptional() @IsString() @MaxLength(500)
  description?: string;

  @ApiPropertyOptional({ description: 'An inactive source refuses every callback (401).' })
  @IsOptional() @IsBoolean()
  is_active?: boolean;
}
