import { EVENT_TYPES, EventType, FixedEventType, INBOUND_EVENT_TYPE_PATTERN, INBOUND_SOURCE_NAME, isEventType, OPERATIONAL_EVENT_TYPES } from '@tessera/database';

export interface EventTypeInfo {
  /** A type, or for the inbound callbacks the pattern of their types (inbound.{source_name}.received). */
  type: FixedEventType | typeof INBOUND_EVENT_TYPE_PATTERN;
  description: string;
  /** The `data` of a delivery of this type. */
  example: Record<string, unknown>;
}

const WS = 'ws_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8';
const AT = '2026-01-15T10:30:00.000Z';
const post = { id: 'pst_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8', title: 'Hello, world', body: 'First words', status: 'draft', tags: ['news'], author_id: 'usr_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8', created_at: AT, updated_at: AT };
const member = { user_id: 'usr_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8', workspace_id: WS, name: 'Ada Lovelace', email: 'ada@example.com', role: 'member', created_at: AT, updated_at: AT };
const endpoint = { endpoint_id: 'whk_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8', url: 'https://example.com/hooks' };

/** What each registered event type means and what its `data` looks like: GET /webhooks/event-types. */
const CATALOG: { [T in FixedEventType]: Omit<EventTypeInfo, 'type'> } = {
  'post.created': { description: 'A post was created.', example: post },
  'post.updated': { description: 'A post was changed (PUT or PATCH); data is the post after the change.', example: { ...post, status: 'published' } },
  'post.deleted': { description: 'A post was deleted; data is the post as it was.', example: post },
  'member.invited': {
    description: 'An account was invited to the workspace.',
    example: { id: 'inv_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8', workspace_id: WS, email: 'ada@example.com', role: 'member', status: 'pending', expires_at: AT, invited_by: 'usr_01JD2V6ZQ8W3M9Q7R4T5Y6U7V9', created_at: AT },
  },
  'member.added': { description: 'An account accepted its invitation and became a member.', example: member },
  'member.removed': { description: 'A member was removed from the workspace, or left it.', example: member },
  'seo.report.created': {
    description: 'An SEO report was submitted (POST /seo/report or the MCP tool); its issues are at GET /seo/reports/{id}.',
    example: {
      id: 'seo_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8',
      url: 'https://example.com/page',
      scores: { performance: 85, accessibility: 92, best_practices: 88, seo: 95 },
      issue_count: 1,
      issues_by_severity: { error: 0, warning: 1, info: 0 },
      created_at: AT,
    },
  },
  'workspace.updated': { description: 'The workspace’s name, slug, tier, settings or MFA requirement changed.', example: { id: WS, name: 'Acme', slug: 'acme', tier: 'free', settings: { timezone: 'UTC', locale: 'en' }, require_mfa: false, created_at: AT, updated_at: AT } },
  'webhook.endpoint.disabled': { description: 'An endpoint was disabled (too many consecutive failures, or it answered 410).', example: { ...endpoint, reason: 'consecutive_failures' } },
  'webhook.delivery.failing': { description: 'Deliveries to an endpoint keep failing; it will be disabled if they go on.', example: { ...endpoint, consecutive_failures: 5 } },
  'webhook.delivery.exhausted': { description: 'A delivery failed on every attempt of the retry schedule and was given up.', example: { ...endpoint, delivery_id: 'dlv_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8', event_id: 'evt_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8', event_type: 'post.created', attempts: 8 } },
  'webhook.endpoint.recovered': { description: 'An endpoint that was failing answered 2xx again.', example: endpoint },
  'webhook.test': { description: 'A test send, asked for by a user; it carries no domain change.', example: { ...endpoint, message: 'This is a test event from Tessera.' } },
};

const INBOUND: Omit<EventTypeInfo, 'type'> = {
  description:
    'A provider callback accepted on an inbound source (POST /api/v1/inbound/{source_id}, signature verified), one type per source name: ' +
    'subscribe to inbound.<name>.received for one source, or inbound.* for every source. payload is the parsed JSON body, or the raw text when it is not JSON.',
  example: { source_id: 'src_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8', source_name: 'stripe', message_id: 'evt_1QdGxKLkdIwHu7ix', payload: { id: 'evt_1QdGxKLkdIwHu7ix', type: 'invoice.paid', data: { object: { id: 'in_1QdGx' } } } },
};

export const EVENT_TYPE_CATALOG: readonly EventTypeInfo[] = [
  ...EVENT_TYPES.map((type) => ({ type, ...CATALOG[type] })),
  { type: INBOUND_EVENT_TYPE_PATTERN, ...INBOUND },
];

export function isOperationalEventType(type: string): boolean {
  return (OPERATIONAL_EVENT_TYPES as readonly string[]).includes(type);
}

/** `inbound.` or `inbound.<source name>.`: prefixes that inbound event types can have. */
function isInboundPrefix(prefix: string): boolean {
  if (prefix === 'inbound.') return true;
  const m = /^inbound\.(.+)\.$/.exec(prefix);
  return m !== null && INBOUND_SOURCE_NAME.test(m[1]);
}

/**
 * Whether `pattern` is something an endpoint may subscribe to: a registered type (inbound ones
 * included, `inbound.<name>.received`, whether or not that source exists yet), `*`, or a prefix
 * wildcard (`post.*`, `webhook.delivery.*`, `inbound.*`) that can match a registered type.
 */
export function isEventPattern(pattern: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('.*')) {
    const prefix = pattern.slice(0, -1);
    return prefix.length > 1 && !prefix.slice(0, -1).includes('*') && (EVENT_TYPES.some((t) => t.startsWith(prefix)) || isInboundPrefix(prefix));
  }
  return isEventType(pattern);
}

/** Whether an endpoint subscribed to `patterns` receives `type`. */
export function matchesEvent(patterns: readonly string[], type: EventType): boolean {
  return patterns.some((p) => p === '*' || p === type || (p.endsWith('.*') && type.startsWith(p.slice(0, -1))));
}
