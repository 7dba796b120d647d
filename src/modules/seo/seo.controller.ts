import { Body, Controller, Get, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ListParams, ListQuery, ListSpec, Page, Returns } from '@tessera/common';
import { Audited } from '../audit/audited.decorator';
import { Authenticated } from '../auth/authenticated.decorator';
import { CurrentWorkspace, WorkspaceAccess } from '../auth/principal';
import { Scope } from '../auth/scopes';
import { CreateSeoReportDto, MAX_ISSUES_PER_REPORT } from './dto/seo-report.dto';
import { SEO_SEVERITIES } from './seo-report.entity';
import { SeoIssueDto, SeoReportDto } from './seo.presenter';
import { SeoService } from './seo.service';

const REPORT_LIST: ListSpec = {
  sortable: ['created_at', 'url', 'performance', 'accessibility', 'best_practices', 'seo'],
  defaultSort: '-created_at',
  fields: ['id', 'url', 'scores', 'issue_count', 'issues_by_severity', 'created_at'],
  filters: { url: null },
};

const ISSUE_LIST: ListSpec = {
  sortable: ['created_at', 'type', 'url'],
  defaultSort: '-created_at',
  fields: ['id', 'report_id', 'url', 'type', 'issue_type', 'severity', 'element', 'message', 'created_at'],
  filters: { severity: SEO_SEVERITIES, type: null, url: null, report_id: null },
};

@ApiTags('SEO')
@Controller('seo')
export class SeoController {
  constructor(private readonly seo: SeoService) {}

  @Post('report')
  @ApiOperation({
    summary: 'Submit an SEO report',
    description:
      `A page's scores (each an integer 0..100) and up to ${MAX_ISSUES_PER_REPORT} issues. Counts against the seo_reports entitlement ` +
      '(per calendar month; 403 FEATURE_LIMIT_REACHED past the plan). Emits seo.report.created.',
  })
  @Authenticated({ scopes: [Scope.SeoWrite], workspace: 'header' })
  @Audited('seo.report.created', 'seo_report')
  @Returns(SeoReportDto, 'SEO report created.', { status: 201, errors: [422] })
  create(@CurrentWorkspace() ws: WorkspaceAccess, @Body() body: CreateSeoReportDto): Promise<SeoReportDto> {
    return this.seo.create(ws, body);
  }

  @Get('reports')
  @ApiOperation({ summary: 'List SEO reports', description: 'url= (exact), created_after= and created_before= filter; sort by date, url or a score. Issues are in GET /seo/reports/{id}.' })
  @Authenticated({ scopes: [Scope.SeoRead], workspace: 'header' })
  @Returns(SeoReportDto, 'SEO reports fetched.', { list: true })
  list(@CurrentWorkspace() ws: WorkspaceAccess, @ListParams(REPORT_LIST) list: ListQuery): Promise<Page<SeoReportDto>> {
    return this.seo.list(ws.id, list);
  }

  @Get('reports/:id')
  @ApiOperation({ summary: 'Get an SEO report with its issues' })
  @Authenticated({ scopes: [Scope.SeoRead], workspace: 'header' })
  @Returns(SeoReportDto, 'SEO report fetched.', { errors: [404] })
  get(@CurrentWorkspace() ws: WorkspaceAccess, @Param('id') id: string): Promise<SeoReportDto> {
    return this.seo.get(ws.id, id);
  }

  @Get('issues/:workspace_id')
  @ApiOperation({
    summary: 'List the issues of every SEO report of a workspace',
    description: 'severity=, type=, url= and report_id= filter (exact); created_after= and created_before= by report date. A workspace that is not the caller’s is 404.',
  })
  @ApiParam({ name: 'workspace_id', description: 'Workspace id or slug.', example: 'ws_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8' })
  @Authenticated({ scopes: [Scope.SeoRead], workspace: { param: 'workspace_id' } })
  @Returns(SeoIssueDto, 'SEO issues fetched.', { list: true })
  issues(@CurrentWorkspace() ws: WorkspaceAccess, @ListParams(ISSUE_LIST) list: ListQuery): Promise<Page<SeoIssueDto>> {
    return this.seo.listIssues(ws.id, list);
  }
}
