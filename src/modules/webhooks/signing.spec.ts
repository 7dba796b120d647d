import { createPublicKey, verify } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { ed25519PublicKey, newEd25519Pair, signature, signatureHeader } from './signing';

describe('Standard Webhooks signing', () => {
  it('should reproduce the published test vector of the spec', () => {
    // From the Standard Webhooks reference libraries' test suites.
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const id = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
    const body = '{"test": 2432232314}';
    expect(signature(secret, id, 1614265330, body)).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('should be verified by the standardwebhooks library, with either secret of a rotation', () => {
    const current = 'whsec_' + Buffer.alloc(24, 7).toString('base64');
    const previous = 'whsec_' + Buffer.alloc(24, 9).toString('base64');
    const ts = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({ id: 'evt_1', type: 'post.created' });
    const headers = { 'webhook-id': 'evt_1', 'webhook-timestamp': String(ts), 'webhook-signature': signatureHeader([current, previous], 'evt_1', ts, body) };
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(new Webhook(current).verify(body, headers)).toEqual(JSON.parse(body));
    expect(new Webhook(previous).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook('whsec_' + Buffer.alloc(24, 1).toString('base64')).verify(body, headers)).toThrow();
  });

  it('should sign v1a with Ed25519, verifiable with the whpk_ public key alone', () => {
    const { secretKey, publicKey } = newEd25519Pair();
    expect(secretKey).toMatch(/^whsk_[A-Za-z0-9+/]{43}=$/);
    expect(ed25519PublicKey(secretKey)).toBe(publicKey);
    const sig = signature(secretKey, 'evt_2', 1700000000, '{}');
    expect(sig.startsWith('v1a,')).toBe(true);
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey.slice(5), 'base64').toString('base64url') }, format: 'jwk' });
    expect(verify(null, Buffer.from('evt_2.1700000000.{}'), key, Buffer.from(sig.slice(4), 'base64'))).toBe(true);
    expect(verify(null, Buffer.from('evt_2.1700000001.{}'), key, Buffer.from(sig.slice(4), 'base64'))).toBe(false);
  });
});
