import { ApiError, clientIp, header, RequestLike } from '@tessera/common';
import { AuditService } from '../audit/audit.service';
import { AuthenticatedRequest, Principal, WorkspaceAccess } from '../auth/principal';

/** Who calls a tool or reads a resource, in which workspace, from where (for the audit log). */
export interface McpCaller {
  principal: Principal;
  workspace: WorkspaceAccess;
  ip: string;
  userAgent: string | null;
  requestId: string | null;
}

/** The caller of a workspace route (its guard resolved the principal and the workspace). */
export function callerOf(req: RequestLike & AuthenticatedRequest): McpCaller {
  const principal = req.principal;
  if (!principal?.workspace) throw ApiError.unauthorized();
  return { principal, workspace: principal.workspace, ip: clientIp(req), userAgent: header(req, 'user-agent') ?? null, requestId: req.id ?? null };
}

/** How a tool call ended: an answer, a tool error the server reported, a refusal of ours, or no answer. */
export type ToolCallOutcome = 'ok' | 'tool_error' | 'refused' | 'failed' | 'timeout';

/**
 * One audit row per tool call, whichever server and whatever came of it: mcp.tool.called for an
 * answer, mcp.tool.failed for anything else, with the tool, the outcome and how long it took.
 */
export function auditToolCall(
  audit: AuditService,
  caller: McpCaller,
  call: { server: string; tool: string; outcome: ToolCallOutcome; durationMs: number; errorCode?: string },
): void {
  audit.record({
    workspaceId: caller.workspace.id,
    actorType: caller.principal.kind,
    actorId: caller.principal.kind === 'api_key' ? caller.principal.credentialId : caller.principal.userId,
    action: call.outcome === 'ok' || call.outcome === 'tool_error' ? 'mcp.tool.called' : 'mcp.tool.failed',
    targetType: 'mcp_server',
    targetId: call.server,
    ip: caller.ip,
    userAgent: caller.userAgent,
    requestId: caller.requestId,
    metadata: { tool: call.tool.slice(0, 128), outcome: call.outcome, duration_ms: Math.round(call.durationMs), ...(call.errorCode ? { error_code: call.errorCode } : {}) },
  });
}
