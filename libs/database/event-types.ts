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
  'seo.report.created',
] as const;

/** Written by the webhooks delivery machinery itself, not by a domain change. */
export const OPERATIONAL_EVENT_TYPES = [
  'webhook.endpoint.disabled',
  'webhook.delivery.failing',
  'webhook.delivery.exhausted',
  'webhook.endpoint.recovered',
  'webhook.test',
] as const;

/** The fixed types: each one is listed, described and emitted by some writer. */
export const EVENT_TYPES = [...DOMAIN_EVENT_TYPES, ...OPERATIONAL_EVENT_TYPES] as const;

export type DomainEventType = (typeof DOMAIN_EVENT_TYPES)[number];
export type OperationalEventType = (typeof OPERATIONAL_EVENT_TYPES)[number];
export type FixedEventType = (typeof EVENT_TYPES)[number];

/**
 * A provider callback accepted on an inbound source (POST /inbound/{source_id}), named after the
 * source: one type per source name, so the registry holds a pattern rather than a list.
 */
export type InboundEventType = `inbound.${string}.received`;
export type EventType = FixedEventType | InboundEventType;

/** An inbound source's name: a lowercase slug, the middle of its event type. */
export const INBOUND_SOURCE_NAME = /^[a-z0-9][a-z0-9_-]{0,39}$/;
const INBOUND_EVENT_TYPE = /^inbound\.([a-z0-9][a-z0-9_-]{0,39})\.received$/;
/** How the catalog names the inbound pattern. */
export const INBOUND_EVENT_TYPE_PATTERN = 'inbound.{source_name}.received';

/** The event type of the callbacks of the source named `sourceName` (a valid INBOUND_SOURCE_NAME). */
export function inboundEventType(sourceName: string): InboundEventType {
  if (!INBOUND_SOURCE_NAME.test(sourceName)) throw new Error(`invalid inbound source name ${JSON.stringify(sourceName)}`);
  return `inbound.${sourceName}.received`;
}

export function isInboundEventType(value: unknown): value is InboundEventType {
  return typeof value === 'string' && INBOUND_EVENT_TYPE.test(value);
}

export function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && ((EVENT_TYPES as readonly string[]).includes(value) || isInboundEventType(value));
}
