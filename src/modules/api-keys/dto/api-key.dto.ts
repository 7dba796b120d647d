import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayNotEmpty, IsArray, IsDateString, IsIn, IsNotEmpty, IsNumber, IsOptional, IsString, Max, MaxLength, Min, Validate } from 'class-validator';
import { Tier, TIERS } from '../../auth/principal';
import { ScopePatternConstraint } from '../../auth/scope-pattern.validator';

export class CreateApiKeyDto {
  @ApiProperty({ maxLength: 255, example: 'Production backend' })
  @IsString() @IsNotEmpty() @MaxLength(255)
  name: string;

  @ApiPropertyOptional({ type: [String], default: ['read', 'write'], description: 'Scopes or wildcards; no more than the caller holds.' })
  @IsOptional() @IsArray() @ArrayNotEmpty() @ArrayMaxSize(64) @IsString({ each: true }) @Validate(ScopePatternConstraint, { each: true })
  scopes?: string[];

  @ApiPropertyOptional({ enum: TIERS, description: "Rate-limit tier of this key; the workspace's tier when absent." })
  @IsOptional() @IsIn(TIERS)
  rate_limit_tier?: Tier;

  @ApiPropertyOptional({ format: 'date-time', description: 'When the key stops working.' })
  @IsOptional() @IsDateString({ strict: true })
  expires_at?: string;

  @ApiPropertyOptional({ enum: ['live', 'test'], default: 'live' })
  @IsOptional() @IsIn(['live', 'test'])
  environment?: 'live' | 'test';
}

export class RotateApiKeyDto {
  @ApiPropertyOptional({ minimum: 0, maximum: 720, default: 24, description: 'Hours the old key keeps working (fractions allowed; 0 ends it now).' })
  @IsOptional() @IsNumber({ allowNaN: false, allowInfinity: false }) @Min(0) @Max(720)
  grace_period_hours?: number;
}
