import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { SEO_SEVERITIES, SeoIssueEntity, SeoReportEntity } from './seo-report.entity';

export class SeoScoresOutDto {
  @ApiProperty({ example: 85 }) performance: number;
  @ApiProperty({ example: 92 }) accessibility: number;
  @ApiProperty({ example: 88 }) best_practices: number;
  @ApiProperty({ example: 95 }) seo: number;
}

export class SeoIssueCountsDto {
  @ApiProperty({ example: 0 }) error: number;
  @ApiProperty({ example: 1 }) warning: number;
  @ApiProperty({ example: 0 }) info: number;
}

export class SeoIssueDto {
  @ApiProperty({ example: 'iss_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8' }) id: string;
  @ApiProperty({ example: 'seo_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8', description: 'The report that found it.' }) report_id: string;
  @ApiProperty({ example: 'https://example.com/page', description: 'Its report’s page.' }) url: string;
  @ApiProperty({ example: 'missing_alt' }) type: string;
  @ApiProperty({ example: 'missing_alt', description: 'Alias of type (seed 002’s name).' }) issue_type: string;
  @ApiProperty({ enum: SEO_SEVERITIES }) severity: string;
  @ApiProperty({ type: 'string', nullable: true, example: 'img.hero-image' }) element: string | null;
  @ApiProperty({ type: 'string', nullable: true }) message: string | null;
  @ApiProperty({ type: 'string', format: 'date-time', description: 'When its report was submitted.' }) created_at: string;
}

export class SeoReportDto {
  @ApiProperty({ example: 'seo_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8' }) id: string;
  @ApiProperty({ example: 'https://example.com/page' }) url: string;
  @ApiProperty({ type: SeoScoresOutDto }) scores: SeoScoresOutDto;
  @ApiProperty({ example: 1 }) issue_count: number;
  @ApiProperty({ type: SeoIssueCountsDto, description: 'Issues by severity.' }) issues_by_severity: SeoIssueCountsDto;
  @ApiPropertyOptional({ type: [SeoIssueDto], description: 'In the order the report listed them (not in lists).' }) issues?: SeoIssueDto[];
  @ApiProperty({ type: 'string', format: 'date-time' }) created_at: string;
}

export function presentSeoIssue(i: SeoIssueEntity): SeoIssueDto {
  return {
    id: i.id,
    report_id: i.reportId,
    url: i.url,
    type: i.type,
    issue_type: i.type,
    severity: i.severity,
    element: i.element,
    message: i.message,
    created_at: i.createdAt.toISOString(),
  };
}

/** With `issues`, the report's issues are included (GET one, and the answer to POST). */
export function presentSeoReport(r: SeoReportEntity, issues?: SeoIssueEntity[]): SeoReportDto {
  return {
    id: r.id,
    url: r.url,
    scores: { performance: r.performance, accessibility: r.accessibility, best_practices: r.bestPractices, seo: r.seo },
    issue_count: r.issueCount,
    issues_by_severity: { error: r.errorCount, warning: r.warningCount, info: r.infoCount },
    ...(issues ? { issues: issues.map(presentSeoIssue) } : {}),
    created_at: r.createdAt.toISOString(),
  };
}
