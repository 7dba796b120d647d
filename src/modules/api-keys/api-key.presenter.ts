import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { TIERS } from '../auth/principal';
import { ApiKeyEntity } from './api-key.entity';

export class ApiKeyDto {
  @ApiProperty({ example: 'key_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ example: 'sk_live_AbCd', description: 'The first 12 characters of the key.' }) prefix: string;
  @ApiProperty({ enum: ['live', 'test'] }) environment: string;
  @ApiProperty({ type: [String] }) scopes: string[];
  @ApiProperty({ enum: TIERS, nullable: true, type: 'string' }) rate_limit_tier: string | null;
  @ApiProperty({ enum: ['active', 'expired', 'revoked'] }) status: string;
  @ApiProperty({ type: 'string', format: 'date-time', nullable: true }) expires_at: string | null;
  @ApiProperty({ type: 'string', format: 'date-time', nullable: true }) last_used_at: string | null;
  @ApiProperty({ type: 'string', format: 'date-time', nullable: true }) revoked_at: string | null;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ format: 'date-time' }) updated_at: string;
}

export class NewApiKeyDto extends ApiKeyDto {
  @ApiProperty({ example: 'sk_live_…', description: 'The whole key: shown this once, never again.' }) key: string;
}

export class RotatedApiKeyDto extends NewApiKeyDto {
  @ApiProperty({ example: 'key_01JD…', description: 'The key this one replaces.' }) replaces: string;
  @ApiPropertyOptional({ type: 'string', format: 'date-time', description: 'Until when the old key keeps working.' }) grace_period_ends_at: string;
}

export function keyStatus(k: { revokedAt: Date | null; expiresAt: Date | null }, now = new Date()): 'active' | 'expired' | 'revoked' {
  if (k.revokedAt) return 'revoked';
  if (k.expiresAt && k.expiresAt <= now) return 'expired';
  return 'active';
}

export function presentApiKey(k: ApiKeyEntity): ApiKeyDto {
  return {
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    environment: k.environment,
    scopes: k.scopes,
    rate_limit_tier: k.rateLimitTier,
    status: keyStatus(k),
    expires_at: k.expiresAt?.toISOString() ?? null,
    last_used_at: k.lastUsedAt?.toISOString() ?? null,
    revoked_at: k.revokedAt?.toISOString() ?? null,
    created_at: k.createdAt.toISOString(),
    updated_at: k.updatedAt.toISOString(),
  };
}
