import { Injectable } from '@nestjs/common';
import { ApiError, createValidationPipe, isId, ListQuery, newId, Page } from '@tessera/common';
import { Outbox } from '@tessera/database';
import { EntitlementsService, WorkspaceRef } from '../entitlements/entitlements.service';
import { CreateSeoReportDto } from './dto/seo-report.dto';
import { SeoIssueEntity, SeoReportEntity } from './seo-report.entity';
import { SeoRepository } from './seo.repository';
import { presentSeoIssue, presentSeoReport, SeoIssueDto, SeoReportDto } from './seo.presenter';

/** SEO reports: each one counts against the seo_reports entitlement and writes seo.report.created. */
@Injectable()
export class SeoService {
  constructor(
    private readonly repo: SeoRepository,
    private readonly entitlements: EntitlementsService,
    private readonly outbox: Outbox,
  ) {}

  /**
   * For callers that are not an HTTP route (the MCP server's "submit an SEO report" tool): checks
   * `input` by the very rules of POST /seo/report's body (422 VALIDATION_ERROR naming each field),
   * then creates the report in `ws` as that route does.
   */
  async submit(ws: WorkspaceRef, input: unknown): Promise<SeoReportDto> {
    const body = (await createValidationPipe().transform(input, { type: 'body', metatype: CreateSeoReportDto, data: '' })) as CreateSeoReportDto;
    return this.create(ws, body);
  }

  /** Stores the report and its issues, counts it (403 FEATURE_LIMIT_REACHED past the plan) and writes its event, in one transaction. */
  async create(ws: WorkspaceRef, input: CreateSeoReportDto): Promise<SeoReportDto> {
    const createdAt = new Date();
    const inputs = input.issues ?? [];
    const report = Object.assign(new SeoReportEntity(), {
      id: newId('seo'),
      workspaceId: ws.id,
      url: input.url,
      performance: input.scores.performance,
      accessibility: input.scores.accessibility,
      bestPractices: input.scores.best_practices,
      seo: input.scores.seo,
      issueCount: inputs.length,
      errorCount: inputs.filter((i) => i.severity === 'error').length,
      warningCount: inputs.filter((i) => i.severity === 'warning').length,
      infoCount: inputs.filter((i) => i.severity === 'info').length,
      createdAt,
    });
    const issues = inputs.map((i, position) =>
      Object.assign(new SeoIssueEntity(), {
        id: newId('iss'),
        workspaceId: ws.id,
        reportId: report.id,
        position,
        url: report.url,
        type: i.type,
        severity: i.severity,
        element: i.element ?? null,
        message: i.message ?? null,
        createdAt,
      }),
    );
    await this.repo.transaction(async () => {
      await this.entitlements.record(ws, 'seo_reports', 1);
      await this.repo.insert(report, issues);
      await this.outbox.write({ workspaceId: ws.id, type: 'seo.report.created', data: { ...presentSeoReport(report) } });
    });
    return presentSeoReport(report, issues);
  }

  async list(workspaceId: string, list: ListQuery): Promise<Page<SeoReportDto>> {
    return (await this.repo.list(workspaceId, list)).map((r) => presentSeoReport(r));
  }

  async get(workspaceId: string, id: string): Promise<SeoReportDto> {
    const report = isId('seo', id) ? await this.repo.find(workspaceId, id) : null;
    if (!report) throw ApiError.notFound('SEO report');
    return presentSeoReport(report, await this.repo.issuesOf(workspaceId, id));
  }

  async listIssues(workspaceId: string, list: ListQuery): Promise<Page<SeoIssueDto>> {
    return (await this.repo.listIssues(workspaceId, list)).map(presentSeoIssue);
  }
}
