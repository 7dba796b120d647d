import { createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject, sign } from 'node:crypto';

/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com): the signed content is
 * `{webhook-id}.{webhook-timestamp}.{body}`;
 * - `v1,<base64 HMAC-SHA256>` keyed by the bytes the base64 after `whsec_` decodes to;
 * - `v1a,<base64 Ed25519 signature>` by a `whsk_` private key, verified with its `whpk_` public key.
 * `webhook-signature` holds several, space separated, while a rotated secret is in its grace.
 */
export type SignatureScheme = 'hmac-sha256' | 'ed25519';
export const SIGNATURE_SCHEMES: readonly SignatureScheme[] = ['hmac-sha256', 'ed25519'];

const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export function signedContent(id: string, timestamp: number, body: string): string {
  return `${id}.${timestamp}.${body}`;
}

/** `v1,…` for a `whsec_` secret, `v1a,…` for a `whsk_` key. */
export function signature(secret: string, id: string, timestamp: number, body: string): string {
  const content = signedContent(id, timestamp, body);
  if (secret.startsWith('whsec_')) {
    return `v1,${createHmac('sha256', Buffer.from(secret.slice(6), 'base64')).update(content).digest('base64')}`;
  }
  if (secret.startsWith('whsk_')) return `v1a,${sign(null, Buffer.from(content), ed25519PrivateKey(secret)).toString('base64')}`;
  throw new Error('unknown webhook secret kind');
}

/** The `webhook-signature` header: one signature per live secret (two during a rotation's grace). */
export function signatureHeader(secrets: readonly string[], id: string, timestamp: number, body: string): string {
  return secrets.map((s) => signature(s, id, timestamp, body)).join(' ');
}

/** A new Ed25519 pair: `whsk_` + base64 of the 32-byte seed, `whpk_` + base64 of the 32-byte public key. */
export function newEd25519Pair(): { secretKey: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const seed = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(ED25519_PKCS8_PREFIX.length);
  return { secretKey: `whsk_${seed.toString('base64')}`, publicKey: publicKeyOf(privateKey) };
}

/** The `whpk_` public key of a `whsk_` private key. */
export function ed25519PublicKey(secretKey: string): string {
  return publicKeyOf(ed25519PrivateKey(secretKey));
}

function publicKeyOf(privateKey: KeyObject): string {
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' });
  return `whpk_${Buffer.from(jwk.x as string, 'base64url').toString('base64')}`;
}

function ed25519PrivateKey(secretKey: string): KeyObject {
  const seed = Buffer.from(secretKey.slice(5), 'base64');
  if (seed.length !== 32) throw new Error('a whsk_ key holds a 32-byte Ed25519 seed');
  return createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}
