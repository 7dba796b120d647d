import { unseal } from '@tessera/common';
import type { WebhookEndpointEntity } from './webhook-endpoint.entity';

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
  const secrets = [unseal(key, endpoint.secretSealed, endpoint.id).toString('utf8')];
  if (endpoint.previousSecretSealed && endpoint.previousSecretExpiresAt && endpoint.previousSecretExpiresAt > now) {
    secrets.push(unseal(key, endpoint.previousSecretSealed, endpoint.id).toString('utf8'));
  }
  return secrets;
}
