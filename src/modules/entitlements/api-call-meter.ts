import type { AuthenticatedRequest } from '../auth/principal';
import { periodOf } from './plans';

/** The Redis hash of API calls counted but not yet flushed to PostgreSQL by the worker. */
export const PENDING_API_CALLS = 'tessera:usage:pending:api_calls';

/** The workspace an authenticated request counts against, if any. */
export function meteredWorkspaceOf(req: AuthenticatedRequest): string | undefined {
  return req.principal?.workspace?.id ?? req.principal?.boundWorkspaceId ?? undefined;
}

/** Where this request's API call is counted (hash key and field), or undefined when it counts nowhere. */
export function apiCallCounter(req: AuthenticatedRequest): { key: string; field: string } | undefined {
  const workspaceId = meteredWorkspaceOf(req);
  return workspaceId ? { key: PENDING_API_CALLS, field: `${workspaceId}|${periodOf('api_calls')}` } : undefined;
}
