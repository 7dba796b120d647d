import { Body, Controller, Get, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Returns } from '@tessera/common';
import { Authenticated } from '../auth/authenticated.decorator';
import { CurrentWorkspace, WorkspaceAccess } from '../auth/principal';
import { Scope } from '../auth/scopes';
import { CheckQueryDto, RecordUsageDto } from './dto/entitlement.dto';
import { Check, EntitlementsService } from './entitlements.service';
import { FEATURES } from './plans';

export class CheckDto {
  @ApiProperty() allowed: boolean;
  @ApiProperty({ enum: FEATURES }) feature: string;
  @ApiProperty() current_usage: number;
  @ApiProperty({ type: 'integer', nullable: true, description: 'null: unlimited' }) limit: number | null;
  @ApiProperty({ type: 'integer', nullable: true }) available: number | null;
  @ApiPropertyOptional({ enum: ['LIMIT_EXCEEDED'] }) reason?: string;
  @ApiPropertyOptional() message?: string;
  @ApiPropertyOptional() upgrade_url?: string;
}

export class UsageRecordedDto {
  @ApiProperty({ example: true }) recorded: boolean;
  @ApiProperty({ enum: FEATURES }) feature: string;
  @ApiProperty() current_usage: number;
  @ApiProperty({ type: 'integer', nullable: true }) limit: number | null;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true }) metadata?: Record<string, unknown>;
}

export class FeatureUsageDto {
  @ApiProperty() used: number;
  @ApiProperty({ type: 'integer', nullable: true }) limit: number | null;
  @ApiProperty({ type: 'integer', nullable: true }) available: number | null;
  @ApiProperty({ type: 'number', nullable: true, example: 42.5 }) percentage: number | null;
  @ApiProperty({ example: 'bytes' }) unit: string;
  @ApiPropertyOptional({ format: 'date-time', description: 'When a monthly feature starts from zero again.' }) reset_at?: string;
}

export class SummaryDto {
  @ApiProperty({ type: FeatureUsageDto }) posts: FeatureUsageDto;
  @ApiProperty({ type: FeatureUsageDto }) api_calls: FeatureUsageDto;
  @ApiProperty({ type: FeatureUsageDto }) members: FeatureUsageDto;
  @ApiProperty({ type: FeatureUsageDto }) webhooks: FeatureUsageDto;
  @ApiProperty({ type: FeatureUsageDto }) storage: FeatureUsageDto;
  @ApiProperty({ type: FeatureUsageDto }) seo_reports: FeatureUsageDto;
}

@ApiTags('Entitlements')
@Controller('entitlements')
export class EntitlementsController {
  constructor(private readonly entitlements: EntitlementsService) {}

  @Get('check')
  @ApiOperation({ summary: 'Whether the workspace may use `quantity` more of a feature' })
  @Authenticated({ scopes: [Scope.EntitlementsRead], workspace: 'header' })
  @Returns(CheckDto, 'Entitlement checked.', { errors: [400] })
  check(@CurrentWorkspace() ws: WorkspaceAccess, @Query() query: CheckQueryDto): Promise<Check> {
    return this.entitlements.check(ws, query.feature, query.quantity ?? 1);
  }

  @Post('usage')
  @ApiOperation({ summary: 'Record usage of a consumable feature (atomic; never past the limit)' })
  @Authenticated({ scopes: [Scope.EntitlementsWrite], workspace: 'header' })
  @Returns(UsageRecordedDto, 'Usage recorded.', { status: 200, errors: [422] })
  async record(@CurrentWorkspace() ws: WorkspaceAccess, @Body() body: RecordUsageDto): Promise<UsageRecordedDto> {
    return { ...(await this.entitlements.record(ws, body.feature, body.quantity)), ...(body.metadata ? { metadata: body.metadata } : {}) };
  }

  @Get('summary')
  @ApiOperation({ summary: 'Usage and limit of every feature' })
  @Authenticated({ scopes: [Scope.EntitlementsRead], workspace: 'header' })
  @Returns(SummaryDto, 'Entitlements summarised.')
  async summary(@CurrentWorkspace() ws: WorkspaceAccess): Promise<SummaryDto> {
    return (await this.entitlements.summary(ws)) as unknown as SummaryDto;
  }
}
