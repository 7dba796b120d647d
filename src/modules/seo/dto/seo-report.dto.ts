import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsInt, IsNotEmpty, IsObject, IsOptional, IsString, IsUrl, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { SEO_SEVERITIES, SeoSeverity } from '../seo-report.entity';

/** The most issues one report may carry. */
export const MAX_ISSUES_PER_REPORT = 500;
const PAGE_URL = { protocols: ['http', 'https'], require_protocol: true, require_tld: false, allow_underscores: true };
export const ISSUE_TYPE = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$/;

const score = (name: string) =>
  ApiProperty({ type: 'integer', minimum: 0, maximum: 100, example: { performance: 85, accessibility: 92, best_practices: 88, seo: 95 }[name] });

export class SeoScoresDto {
  @score('performance') @IsInt() @Min(0) @Max(100) performance: number;
  @score('accessibility') @IsInt() @Min(0) @Max(100) accessibility: number;
  @score('best_practices') @IsInt() @Min(0) @Max(100) best_practices: number;
  @score('seo') @IsInt() @Min(0) @Max(100) seo: number;
}

export class SeoIssueInputDto {
  @ApiProperty({ maxLength: 100, example: 'missing_alt', description: 'What kind of issue: letters, digits, _ . : - (a crawler’s own names).' })
  @IsString() @Matches(ISSUE_TYPE, { message: 'type must be 1-100 letters, digits, _ . : or -, starting with a letter or digit' })
  type: string;

  @ApiProperty({ enum: SEO_SEVERITIES, example: 'warning' })
  @IsIn(SEO_SEVERITIES)
  severity: SeoSeverity;

  @ApiPropertyOptional({ maxLength: 1000, example: 'img.hero-image', description: 'Where on the page (a CSS selector, for instance).' })
  @IsOptional() @IsString() @MaxLength(1000)
  element?: string;

  @ApiPropertyOptional({ maxLength: 2000, example: 'Image elements do not have [alt] attributes' })
  @IsOptional() @IsString() @MaxLength(2000)
  message?: string;
}

export class CreateSeoReportDto {
  @ApiProperty({ maxLength: 2048, example: 'https://example.com/page', description: 'The audited page: an http or https URL.' })
  @IsString() @IsNotEmpty() @MaxLength(2048) @IsUrl(PAGE_URL, { message: 'url must be an http or https URL' })
  url: string;

  @ApiProperty({ type: SeoScoresDto })
  @IsObject() @ValidateNested() @Type(() => SeoScoresDto)
  scores: SeoScoresDto;

  @ApiPropertyOptional({ type: [SeoIssueInputDto], maxItems: MAX_ISSUES_PER_REPORT, default: [] })
  @IsOptional() @IsArray() @ArrayMaxSize(MAX_ISSUES_PER_REPORT) @ValidateNested({ each: true }) @Type(() => SeoIssueInputDto)
  issues?: SeoIssueInputDto[];
}
