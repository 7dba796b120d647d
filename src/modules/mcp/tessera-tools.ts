import { Injectable } from '@nestjs/common';
import { ApiError, ListSpec, Page, parseListQuery } from '@tessera/common';
import { z } from 'zod';
import { AuditService } from '../audit/audit.service';
import { missingScopes, missingScopesError } from '../auth/principal';
import { Scope } from '../auth/scopes';
import { EntitlementsService } from '../entitlements/entitlements.service';
import { POST_LIMITS, TAG, TAG_MESSAGE } from '../posts/dto/post.dto';
import { POST_STATUSES } from '../posts/post.entity';
import { presentPost } from '../posts/post.presenter';
import { POST_LIST, PostsService } from '../posts/posts.service';
import { ISSUE_TYPE, MAX_ISSUES_PER_REPORT } from '../seo/dto/seo-report.dto';
import { SEO_SEVERITIES } from '../seo/seo-report.entity';
import { SeoService } from '../seo/seo.service';
import { DELIVERY_LIST, WebhookDeliveriesService } from '../webhooks/webhook-deliveries.service';
import { DELIVERY_STATUSES } from '../webhooks/webhook-delivery.entity';
import { presentDelivery, presentWebhook } from '../webhooks/webhook.presenter';
import { WEBHOOK_LIST, WebhooksService } from '../webhooks/webhooks.service';
import { auditToolCall, McpCaller } from './mcp-caller';
import { BUILT_IN_SERVER } from './mcp-rules';

/** A structured tool result: always a JSON object (MCP's structuredContent). */
export type ToolData = Record<string, unknown>;

/**
 * One tool of the built-in server: a platform operation, gated by the same scopes as its REST
 * route. `input` is a zod object: the SDK validates arguments with it and shows clients its JSON
 * Schema; the gateway validates with it too.
 */
export interface TesseraTool<S extends z.ZodObject = z.ZodObject> {
  name: string;
  title: string;
  description: string;
  scopes: Scope[];
  /** No side effect (MCP's readOnlyHint). */
  readOnly: boolean;
  input: S;
  run(caller: McpCaller, args: z.output<S>): Promise<ToolData>;
}

/** Declares a tool with its argument types inferred from its input schema. */
function tool<S extends z.ZodObject>(definition: TesseraTool<S>): TesseraTool {
  return definition as unknown as TesseraTool;
}

const limit = z.number().int().min(1).max(100).optional().describe('Items per page (default 25, at most 100).');
const cursor = z.string().min(1).max(2000).optional().describe('next_cursor of the previous page.');

/** A cursor page of a list, as tools answer it: the items under `key`, then where to go on. */
function cursorPage<T>(key: string, page: Page<T>): ToolData {
  const pagination = page.pagination as { next_cursor?: string | null; has_more?: boolean };
  return { [key]: page.items, next_cursor: pagination.next_cursor ?? null, has_more: pagination.has_more ?? false };
}

/** The arguments of a list tool as the list parser reads a query string: cursor mode, strings. */
function listQuery(spec: ListSpec, args: Record<string, string | number | boolean | undefined>) {
  const raw: Record<string, string> = { limit: String(args.limit ?? 25) };
  for (const [name, value] of Object.entries(args)) if (value !== undefined && name !== 'limit') raw[name] = String(value);
  return parseListQuery(raw, spec);
}

/**
 * The built-in MCP server's tools (server "tessera"): each one a call of the platform's own
 * services, within the caller's workspace and scopes. Adding a tool is one entry in `all`
 * (injecting the service it calls).
 */
@Injectable()
export class TesseraTools {
  readonly all: readonly TesseraTool[];
  private readonly byName: ReadonlyMap<string, TesseraTool>;

  constructor(
    posts: PostsService,
    webhooks: WebhooksService,
    deliveries: WebhookDeliveriesService,
    entitlements: EntitlementsService,
    seo: SeoService,
    private readonly audit: AuditService,
  ) {
    this.all = [
      tool({
        name: 'list_posts',
        title: 'List posts',
        description: 'Lists the posts of the workspace, newest first, a page at a time (cursor). Filters: status, tag, search (words of the title and body).',
        scopes: [Scope.PostsRead],
        readOnly: true,
        input: z.strictObject({
          status: z.enum(POST_STATUSES).optional(),
          tag: z.string().min(1).max(40).optional(),
          search: z.string().min(1).max(200).optional(),
          limit,
          cursor,
        }),
        run: async (caller, args) => cursorPage('posts', await posts.list(caller.workspace.id, listQuery(POST_LIST, args))),
      }),
      tool({
        name: 'get_post',
        title: 'Get a post',
        description: 'One post of the workspace by its id (pst_…).',
        scopes: [Scope.PostsRead],
        readOnly: true,
        input: z.strictObject({ id: z.string().min(1).max(64) }),
        run: async (caller, args) => ({ ...presentPost(await posts.get(caller.workspace.id, args.id)) }),
      }),
      tool({
        name: 'create_post',
        title: 'Create a post',
        description: 'Creates a post in the workspace (a draft unless status says otherwise). Counts against the posts entitlement; emits post.created.',
        scopes: [Scope.PostsWrite],
        readOnly: false,
        input: z.strictObject({
          title: z.string().trim().min(1).max(POST_LIMITS.title),
          body: z.string().max(POST_LIMITS.body).optional(),
          status: z.enum(POST_STATUSES).optional(),
          tags: z.array(z.string().regex(TAG, TAG_MESSAGE)).max(POST_LIMITS.tags).optional(),
        }),
        run: async (caller, args) => ({ ...presentPost(await posts.create(caller.workspace, caller.principal.userId, args)) }),
      }),
      tool({
        name: 'list_webhooks',
        title: 'List webhook endpoints',
        description: 'Lists the webhook endpoints of the workspace with their delivery counters (never their secrets).',
        scopes: [Scope.WebhooksRead],
        readOnly: true,
        input: z.strictObject({ is_active: z.boolean().optional(), limit, cursor }),
        run: async (caller, args) => cursorPage('webhooks', (await webhooks.list(caller.workspace.id, listQuery(WEBHOOK_LIST, args))).map(presentWebhook)),
      }),
      tool({
        name: 'list_deliveries',
        title: 'List the deliveries of a webhook endpoint',
        description: 'The delivery log of one endpoint (whk_…), newest first. Filters: status, event_type.',
        scopes: [Scope.WebhooksRead],
        readOnly: true,
        input: z.strictObject({
          webhook_id: z.string().min(1).max(64),
          status: z.enum(DELIVERY_STATUSES).optional(),
          event_type: z.string().min(1).max(200).optional(),
          limit,
          cursor,
        }),
        run: async (caller, { webhook_id, ...args }) =>
          cursorPage('deliveries', (await deliveries.list(caller.workspace.id, webhook_id, listQuery(DELIVERY_LIST, args))).map(presentDelivery)),
      }),
      tool({
        name: 'retry_delivery',
        title: 'Retry a webhook delivery',
        description: 'Sets a delivery back to pending and queues it now. Refused for a delivery that already succeeded (CANNOT_RETRY) and while the endpoint is disabled (CONFLICT).',
        scopes: [Scope.WebhooksWrite],
        readOnly: false,
        input: z.strictObject({ webhook_id: z.string().min(1).max(64), delivery_id: z.string().min(1).max(64) }),
        run: async (caller, args) => ({ ...presentDelivery(await deliveries.retry(caller.workspace.id, args.webhook_id, args.delivery_id)) }),
      }),
      tool({
        name: 'get_usage_summary',
        title: 'Usage summary',
        description: 'Usage and limit of every entitlement of the workspace (posts, API calls this month, members, webhooks, storage, SEO reports).',
        scopes: [Scope.EntitlementsRead],
        readOnly: true,
        input: z.strictObject({}),
        run: async (caller) => entitlements.summary(caller.workspace),
      }),
      tool({
        name: 'submit_seo_report',
        title: 'Submit an SEO report',
        description: 'Stores an audit of one page: its four scores (0-100) and the issues found. Counts against the seo_reports entitlement; emits seo.report.created.',
        scopes: [Scope.SeoWrite],
        readOnly: false,
        input: z.strictObject({
          url: z.string().min(1).max(2048).describe('The audited page: an http or https URL.'),
          scores: z.strictObject({
            performance: z.number().int().min(0).max(100),
            accessibility: z.number().int().min(0).max(100),
            best_practices: z.number().int().min(0).max(100),
            seo: z.number().int().min(0).max(100),
          }),
          issues: z
            .array(
              z.strictObject({
                type: z.string().regex(ISSUE_TYPE),
                severity: z.enum(SEO_SEVERITIES),
                element: z.string().max(1000).optional(),
                message: z.string().max(2000).optional(),
              }),
            )
            .max(MAX_ISSUES_PER_REPORT)
            .optional(),
        }),
        // The same checks as POST /seo/report's body run again in the service (one set of rules).
        run: async (caller, args) => ({ ...(await seo.submit(caller.workspace, args)) }),
      }),
    ];
    this.byName = new Map(this.all.map((t) => [t.name, t]));
  }

  find(name: string): TesseraTool | undefined {
    return this.byName.get(name);
  }

  /**
   * Runs a tool for a caller whose arguments its input schema already accepted: 403 naming the
   * missing scopes when the caller may not, else the tool's own answer or ApiError. One audit row
   * either way.
   */
  async call(caller: McpCaller, tool: TesseraTool, args: unknown): Promise<ToolData> {
    const started = performance.now();
    const audited = (outcome: 'ok' | 'refused' | 'failed', errorCode?: string) =>
      auditToolCall(this.audit, caller, { server: BUILT_IN_SERVER, tool: tool.name, outcome, durationMs: performance.now() - started, errorCode });
    const missing = missingScopes(caller.principal, tool.scopes);
    if (missing.length) {
      audited('refused', 'FORBIDDEN');
      throw missingScopesError(missing);
    }
    try {
      const data = await tool.run(caller, args as never);
      audited('ok');
      return data;
    } catch (err) {
      audited('failed', err instanceof ApiError ? err.code : 'INTERNAL_ERROR');
      throw err;
    }
  }

  /** Validates arguments with the tool's schema the way the gateway answers: 422 naming each field under `arguments`. */
  parseArguments(tool: TesseraTool, args: unknown): unknown {
    const parsed = tool.input.safeParse(args ?? {});
    if (parsed.success) return parsed.data;
    const errors: Record<string, string[]> = {};
    for (const issue of parsed.error.issues) {
      const path = ['arguments', ...issue.path.map(String)].join('.');
      (errors[path] ??= []).push(issue.message);
    }
    throw ApiError.validation(errors, `The arguments of tool ${tool.name} are invalid.`);
  }
}

/** A tool's description as clients see it: what it does and the scopes it needs. */
export function describeTool(tool: TesseraTool): string {
  return `${tool.description} Needs scope${tool.scopes.length > 1 ? 's' : ''}: ${tool.scopes.join(', ')}.`;
}
