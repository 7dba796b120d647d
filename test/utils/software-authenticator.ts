import { createHash, generateKeyPairSync, KeyObject, randomBytes, sign } from 'node:crypto';

/**
 * A platform authenticator in software, for the passkey specs: real ES256 keys from node:crypto,
 * real CBOR attestation objects and real assertions, nothing mocked on the server's side. It keeps
 * its credentials (discoverable: each remembers its user handle) and their signature counters.
 */

type Cbor = number | string | Buffer | Map<Cbor, Cbor> | Cbor[];

/** Minimal CBOR (RFC 8949) encoding: unsigned and negative integers, byte and text strings, arrays, maps. */
export function cborEncode(value: Cbor): Buffer {
  const head = (major: number, length: number): Buffer => {
    if (length < 24) return Buffer.from([(major << 5) | length]);
    if (length < 0x100) return Buffer.from([(major << 5) | 24, length]);
    if (length < 0x10000) return Buffer.from([(major << 5) | 25, length >> 8, length & 0xff]);
    const b = Buffer.alloc(5);
    b[0] = (major << 5) | 26;
    b.writeUInt32BE(length, 1);
    return b;
  };
  if (typeof value === 'number') return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([head(3, bytes.length), bytes]);
  }
  if (Buffer.isBuffer(value)) return Buffer.concat([head(2, value.length), value]);
  if (Array.isArray(value)) return Buffer.concat([head(4, value.length), ...value.map(cborEncode)]);
  return Buffer.concat([head(5, value.size), ...[...value].flatMap(([k, v]) => [cborEncode(k), cborEncode(v)])]);
}

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_AT = 0x40;

interface StoredCredential {
  id: Buffer;
  privateKey: KeyObject;
  publicKey: KeyObject;
  rpId: string;
  userHandle: string;
  signCount: number;
}

const b64url = (b: Buffer) => b.toString('base64url');

export class SoftwareAuthenticator {
  readonly credentials: StoredCredential[] = [];

  constructor(private readonly origin: string) {}

  /** The COSE_Key (EC2, ES256, P-256) of a public key. */
  private static coseKey(publicKey: KeyObject): Buffer {
    const jwk = publicKey.export({ format: 'jwk' }) as { x: string; y: string };
    return cborEncode(new Map<Cbor, Cbor>([[1, 2], [3, -7], [-1, 1], [-2, Buffer.from(jwk.x, 'base64url')], [-3, Buffer.from(jwk.y, 'base64url')]]));
  }

  private static authData(rpId: string, flags: number, signCount: number, attested?: Buffer): Buffer {
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(signCount);
    return Buffer.concat([createHash('sha256').update(rpId).digest(), Buffer.from([flags]), counter, ...(attested ? [attested] : [])]);
  }

  private clientData(type: 'webauthn.create' | 'webauthn.get', challenge: string, origin: string): Buffer {
    return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }), 'utf8');
  }

  /** navigator.credentials.create(): a new discoverable ES256 credential, answered as JSON with a "none" attestation. */
  create(options: { challenge: string; rp: { id?: string }; user: { id: string } }, overrides: { origin?: string; rpId?: string; flags?: number } = {}) {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const id = randomBytes(32);
    const rpId = overrides.rpId ?? options.rp.id!;
    const credentialIdLength = Buffer.alloc(2);
    credentialIdLength.writeUInt16BE(id.length);
    const attested = Buffer.concat([Buffer.alloc(16), credentialIdLength, id, SoftwareAuthenticator.coseKey(publicKey)]);
    const authData = SoftwareAuthenticator.authData(rpId, overrides.flags ?? FLAG_UP | FLAG_UV | FLAG_AT, 0, attested);
    const attestationObject = cborEncode(new Map<Cbor, Cbor>([['fmt', 'none'], ['attStmt', new Map()], ['authData', authData]]));
    this.credentials.push({ id, privateKey, publicKey, rpId, userHandle: options.user.id, signCount: 0 });
    return {
      id: b64url(id),
      rawId: b64url(id),
      type: 'public-key',
      authenticatorAttachment: 'platform',
      clientExtensionResults: {},
      response: {
        clientDataJSON: b64url(this.clientData('webauthn.create', options.challenge, overrides.origin ?? this.origin)),
        attestationObject: b64url(attestationObject),
        transports: ['internal'],
      },
    };
  }

  /**
   * navigator.credentials.get() with no allowCredentials: the (first, or named) discoverable
   * credential for the RP signs authenticatorData ‖ SHA-256(clientDataJSON). Its counter moves
   * forward by one unless `signCount` says otherwise (a clone replaying an old count).
   */
  get(options: { challenge: string; rpId?: string }, pick: { credential?: StoredCredential; signCount?: number; origin?: string; userHandle?: string; flags?: number } = {}) {
    const credential = pick.credential ?? this.credentials.find((c) => c.rpId === options.rpId)!;
    const signCount = pick.signCount ?? credential.signCount + 1;
    credential.signCount = Math.max(credential.signCount, signCount);
    const authData = SoftwareAuthenticator.authData(credential.rpId, pick.flags ?? FLAG_UP | FLAG_UV, signCount);
    const clientDataJSON = this.clientData('webauthn.get', options.challenge, pick.origin ?? this.origin);
    const signature = sign('sha256', Buffer.concat([authData, createHash('sha256').update(clientDataJSON).digest()]), credential.privateKey);
    return {
      id: b64url(credential.id),
      rawId: b64url(credential.id),
      type: 'public-key',
      authenticatorAttachment: 'platform',
      clientExtensionResults: {},
      response: {
        clientDataJSON: b64url(clientDataJSON),
        authenticatorData: b64url(authData),
        signature: b64url(signature),
        userHandle: pick.userHandle ?? credential.userHandle,
      },
    };
  }
}
