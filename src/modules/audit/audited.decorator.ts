import { SetMetadata } from '@nestjs/common';

export const AUDITED_METADATA = 'tessera:audited';

export interface AuditedOptions {
  action: string;
  targetType: string;
  /** The route's service writes its own rows (see AuditedByService): the interceptor writes none. */
  byService?: boolean;
  /** Record failed attempts too, under this action (e.g. auth.login.failed). */
  onFailure?: string;
}

/**
 * A mutating route that records nothing: anonymous analytics hits (POST /pixel/track), which
 * change no record of the workspace and arrive by the thousand a second; an audit row each would
 * be a database write per event.
 */
export function NotAudited(): MethodDecorator {
  return SetMetadata(AUDITED_METADATA, false);
}

/** Names the audit action a mutating route records (without it the route's method and path are used). */
export function Audited(action: string, targetType: string, options: { onFailure?: string } = {}): MethodDecorator {
  return SetMetadata(AUDITED_METADATA, { action, targetType, ...options } satisfies AuditedOptions);
}

/**
 * The route's service writes the audit rows itself, because what they must say is known only
 * there (which remote tool was called, how it ended, a timeout included): the interceptor adds none.
 */
export function AuditedByService(action: string, targetType: string): MethodDecorator {
  return SetMetadata(AUDITED_METADATA, { action, targetType, byService: true } satisfies AuditedOptions);
}
