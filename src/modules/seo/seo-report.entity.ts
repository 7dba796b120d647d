import { Column, Entity, PrimaryColumn } from 'typeorm';

export const SEO_SEVERITIES = ['info', 'warning', 'error'] as const;
export type SeoSeverity = (typeof SEO_SEVERITIES)[number];

/** One SEO audit of one page: its scores (0..100) and how many issues of each severity it found. */
@Entity('seo_reports')
export class SeoReportEntity {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'workspace_id' }) workspaceId: string;
  @Column('text') url: string;
  @Column('smallint') performance: number;
  @Column('smallint') accessibility: number;
  @Column('smallint', { name: 'best_practices' }) bestPractices: number;
  @Column('smallint') seo: number;
  @Column('integer', { name: 'issue_count' }) issueCount: number;
  @Column('integer', { name: 'error_count' }) errorCount: number;
  @Column('integer', { name: 'warning_count' }) warningCount: number;
  @Column('integer', { name: 'info_count' }) infoCount: number;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
}

/** An issue a report found; url and created_at are its report's. */
@Entity('seo_issues')
export class SeoIssueEntity {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'workspace_id' }) workspaceId: string;
  @Column('text', { name: 'report_id' }) reportId: string;
  /** Its place in the report's list, from 0. */
  @Column('integer') position: number;
  @Column('text') url: string;
  @Column('text') type: string;
  @Column('text') severity: SeoSeverity;
  @Column('text', { nullable: true }) element: string | null;
  @Column('text', { nullable: true }) message: string | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
}
