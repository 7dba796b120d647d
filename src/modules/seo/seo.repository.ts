import { Injectable } from '@nestjs/common';
import { ListQuery, Page } from '@tessera/common';
import { Database, paginate } from '@tessera/database';
import { SeoIssueEntity, SeoReportEntity } from './seo-report.entity';

const REPORT_COLUMNS = {
  id: 'id',
  url: 'url',
  created_at: 'createdAt',
  performance: 'performance',
  accessibility: 'accessibility',
  best_practices: 'bestPractices',
  seo: 'seo',
};
const ISSUE_COLUMNS = { id: 'id', url: 'url', type: 'type', severity: 'severity', report_id: 'reportId', created_at: 'createdAt' };

/** SEO reports and their issues, always within one workspace. */
@Injectable()
export class SeoRepository {
  constructor(private readonly db: Database) {}

  transaction<T>(work: () => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  /** The report and its issues, in the open transaction. */
  async insert(report: SeoReportEntity, issues: SeoIssueEntity[]): Promise<void> {
    await this.db.repository(SeoReportEntity).insert(report);
    if (issues.length) await this.db.repository(SeoIssueEntity).insert(issues);
  }

  find(workspaceId: string, id: string): Promise<SeoReportEntity | null> {
    return this.db.repository(SeoReportEntity).findOneBy({ workspaceId, id });
  }

  issuesOf(workspaceId: string, reportId: string): Promise<SeoIssueEntity[]> {
    return this.db.repository(SeoIssueEntity).find({ where: { workspaceId, reportId }, order: { position: 'ASC' } });
  }

  /** url= is an exact match (paginate applies it with the dates, sort and pagination). */
  list(workspaceId: string, list: ListQuery): Promise<Page<SeoReportEntity>> {
    const qb = this.db.repository(SeoReportEntity).createQueryBuilder('r').where('r.workspace_id = :workspaceId', { workspaceId });
    return paginate(qb, list, REPORT_COLUMNS);
  }

  /** Issues of every report of the workspace; severity=, type=, url= and report_id= are exact matches. */
  listIssues(workspaceId: string, list: ListQuery): Promise<Page<SeoIssueEntity>> {
    const qb = this.db.repository(SeoIssueEntity).createQueryBuilder('i').where('i.workspace_id = :workspaceId', { workspaceId });
    return paginate(qb, list, ISSUE_COLUMNS);
  }
}
