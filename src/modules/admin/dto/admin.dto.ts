import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, Max, Min, ValidateIf } from 'class-validator';
import { Tier, TIERS } from '../../auth/principal';

export class SetTierDto {
  @ApiProperty({ enum: TIERS, example: 'pro' })
  @IsIn(TIERS)
  tier: Tier;
}

export class SetOverrideDto {
  @ApiProperty({ type: 'integer', nullable: true, minimum: 0, description: 'The limit for this workspace; null is unlimited.', example: 50 })
  @ValidateIf((_, v) => v !== null) @IsOptional() @IsInt() @Min(0) @Max(Number.MAX_SAFE_INTEGER)
  limit: number | null;
}
