/**
 * Every event type the outbox may carry. The list lives here, beside the outbox, so that
 * `Outbox.write` only accepts a registered type (libs never import src); the webhooks module adds
 * each type's description and example payload (src/modules/webhooks/event-types.ts).
 */
export const DOMAIN_EVENT_TYPES = [
  'post.created',
  'post.updated',
  'post.deleted',
  'member.invited',
  'member.added',
  'member.removed',
  'workspace.updated',
] as const;

/** Written by the webhooks delivery machinery itself, not by a domain change. */
export const OPERATIONAL_EVENT_TYPES = [
  'webhook.endpoint.disabled',
  'webhook.delivery.failing',
  'webhook.delivery.exhausted',
  'webhook.endpoint.recovered',
  'webhook.test',
] as const;

export const EVENT_TYPES = [...DOMAIN_EVENT_TYPES, ...OPERATIONAL_EVENT_TYPES] as const;

export type DomainEventType = (typeof DOMAIN_EVENT_TYPES)[number];
export type OperationalEventType = (typeof OPERATIONAL_EVENT_TYPES)[number];
export type EventType = (typeof EVENT_TYPES)[number];

export function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && (EVENT_TYPES as readonly string[]).includes(value);
}
