import { unseal } from '@tessera/common';
import { signatureHeader } from './signing';
import type { WebhookEndpointEntity } from './webhook-endpoint.entity';

/**
 * Opened secrets by endpoint id and sealed value: a delivery worker signs thousands of deliveries a
 * second for the same endpoints, and AES-GCM per delivery was a measurable share of its CPU. A
 * rotation changes the sealed value, so the entry is simply not found again; the map is cleared
 * whole when it grows past its bound.
 */
const opened = new Map<string, string>();
const OPENED_MAX = 10_000;

function open(key: Buffer, endpointId: string, sealed: string): string {
  const cacheKey = `${endpointId}\u0000${sealed}`;
  let secret = opened.get(cacheKey);
  if (secret === undefined) {
    secret = unseal(key, sealed, endpointId).toString('utf8');
    if (opened.size >= OPENED_MAX) opened.clear();
    opened.set(cacheKey, secret);
  }
  return secret;
}

/**
 * The secrets a delivery to `endpoint` is signed with at `now`: the current one, and the one
 * before the last rotation while its grace lasts (then `webhook-signature` carries both, and a
 * receiver that has not switched yet still verifies). Each is sealed with the endpoint id as
 * associated data, so a sealed secret copied onto another endpoint does not open.
 */
export function liveSecrets(
  key: Buffer,
  endpoint: Pick<WebhookEndpointEntity, 'id' | 'secretSealed' | 'previousSecretSealed' | 'previousSecretExpiresAt'>,
  now = new Date(),
): string[] {
  const secrets = [open(key, endpoint.id, endpoint.secretSealed)];
  if (endpoint.previousSecretSealed && endpoint.previousSecretExpiresAt && endpoint.previousSecretExpiresAt > now) {
    secrets.push(open(key, endpoint.id, endpoint.previousSecretSealed));
  }
  return secrets;
}

/** An event as it goes on the wire (API.md "Webhooks on the wire"). */
export interface WireEvent {
  id: string;
  type: string;
  createdAt: Date;
  workspaceId: string;
  data: unknown;
}

/**
 * The body and headers of one attempt to deliver `event` to `endpoint`, signed now with its live
 * secrets: the one shape shared by deliveries and test sends. `webhook-id` is the event id, the
 * same on every retry, so receivers dedupe on it.
 */
export function signedDelivery(
  key: Buffer,
  endpoint: Pick<WebhookEndpointEntity, 'id' | 'headers' | 'secretSealed' | 'previousSecretSealed' | 'previousSecretExpiresAt'>,
  event: WireEvent,
  now = new Date(),
): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify({ id: event.id, type: event.type, created_at: event.createdAt.toISOString(), workspace_id: event.workspaceId, data: event.data });
  const timestamp = Math.floor(now.getTime() / 1000);
  return {
    body,
    headers: {
      ...endpoint.headers,
      'webhook-id': event.id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signatureHeader(liveSecrets(key, endpoint, now), event.id, timestamp, body),
    },
  };
}
