import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsLocale, IsNotEmpty, IsOptional, IsString, IsTimeZone, Matches, MaxLength, ValidateNested } from 'class-validator';
import { Tier, TIERS } from '../../auth/principal';

export const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export class WorkspaceSettingsDto {
  @ApiPropertyOptional({ example: 'Europe/Paris', description: 'IANA time zone.' })
  @IsOptional() @IsTimeZone()
  timezone?: string;

  @ApiPropertyOptional({ example: 'fr-FR', description: 'BCP 47 locale.' })
  @IsOptional() @IsLocale()
  locale?: string;
}

export class CreateWorkspaceDto {
  @ApiProperty({ maxLength: 255, example: 'Acme' })
  @IsString() @IsNotEmpty() @MaxLength(255)
  name: string;

  @ApiPropertyOptional({ maxLength: 63, example: 'acme', description: 'Lower-case letters, digits and dashes; made from the name when absent.' })
  @IsOptional() @IsString() @Matches(SLUG_PATTERN, { message: 'slug must be 1-63 lower-case letters, digits or dashes, not starting or ending with a dash' })
  slug?: string;

  @ApiPropertyOptional({ enum: TIERS, default: 'free' })
  @IsOptional() @IsIn(TIERS)
  tier?: Tier;

  @ApiPropertyOptional({ type: WorkspaceSettingsDto })
  @IsOptional() @ValidateNested() @Type(() => WorkspaceSettingsDto)
  settings?: WorkspaceSettingsDto;
}

export class UpdateWorkspaceDto {
  @ApiPropertyOptional({ maxLength: 255 })
  @IsOptional() @IsString() @IsNotEmpty() @MaxLength(255)
  name?: string;

  @ApiPropertyOptional({ maxLength: 63 })
  @IsOptional() @IsString() @Matches(SLUG_PATTERN, { message: 'slug must be 1-63 lower-case letters, digits or dashes, not starting or ending with a dash' })
  slug?: string;

  @ApiPropertyOptional({ enum: TIERS })
  @IsOptional() @IsIn(TIERS)
  tier?: Tier;

  @ApiPropertyOptional({ type: WorkspaceSettingsDto, description: 'Merged into the current settings.' })
  @IsOptional() @ValidateNested() @Type(() => WorkspaceSettingsDto)
  settings?: WorkspaceSettingsDto;
}
