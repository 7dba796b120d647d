import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsObject, IsOptional, Max, Min, NotEquals } from 'class-validator';
import { Feature, FEATURES } from '../plans';

export class CheckQueryDto {
  @ApiProperty({ enum: FEATURES })
  @IsIn(FEATURES)
  feature: Feature;

  @ApiPropertyOptional({ default: 1, minimum: 1 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1_000_000_000_000)
  quantity?: number;
}

export class RecordUsageDto {
  @ApiProperty({ enum: ['api_calls', 'storage', 'seo_reports'], description: 'A consumable feature; resources (posts, members, webhooks) count themselves.' })
  @IsIn(FEATURES)
  feature: Feature;

  @ApiProperty({ example: 1, description: 'How much; storage may be negative to release bytes.' })
  @IsInt() @NotEquals(0) @Min(-1_000_000_000_000) @Max(1_000_000_000_000)
  quantity: number;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'Free-form context, echoed back in the answer.' })
  @IsOptional() @IsObject()
  metadata?: Record<string, unknown>;
}
