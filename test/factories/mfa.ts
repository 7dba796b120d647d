import { base32Decode, totpCode } from '../../src/modules/mfa/totp';
import type { TestApp } from '../utils/app';
import type { Account } from './accounts';

/** An authenticator app: the secret it was given, and the code it shows for a moment. */
export interface Authenticator {
  secret: string;
  /** The code of the time step `offset` steps from now (-1: the previous step, which is still accepted). */
  code(offset?: number): string;
}

export function authenticatorFor(secret: string): Authenticator {
  const key = base32Decode(secret);
  return { secret, code: (offset = 0) => totpCode(key, Date.now() + offset * 30_000) };
}

/**
 * Turns TOTP on for `account` as a user does: enrol, then confirm with the previous step's code
 * (so the current and the next step's codes are still unspent for the test). Returns the
 * authenticator and the ten recovery codes.
 */
export async function enableTotp(t: TestApp, account: Account): Promise<{ authenticator: Authenticator; recoveryCodes: string[] }> {
  const enrol = await t.http().post('/api/v1/me/mfa/totp').set(account.auth);
  if (enrol.status !== 201) throw new Error(`enrol failed: ${enrol.status} ${JSON.stringify(enrol.body)}`);
  const authenticator = authenticatorFor(enrol.body.data.secret);
  const verify = await t.http().post('/api/v1/me/mfa/totp/verify').set(account.auth).send({ code: authenticator.code(-1) });
  if (verify.status !== 200) throw new Error(`verify failed: ${verify.status} ${JSON.stringify(verify.body)}`);
  return { authenticator, recoveryCodes: verify.body.data.recovery_codes };
}
