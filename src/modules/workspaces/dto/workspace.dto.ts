import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsLocale, IsNotEmpty, IsOptional, IsString, IsTimeZone, Matches, MaxLength, ValidateNested } from 'class-validator';
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

  @ApiPropertyOptional({ description: 'Require multi-factor sign-in of every member: those without TOTP get 403 MFA_REQUIRED here until they turn it on. Owners only (403 for anyone else), and an owner turning it on must have TOTP on (409).' })
  @IsOptional() @IsBoolean()
  require_mfa?: boolean;
}
