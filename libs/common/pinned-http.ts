import { lookup as dnsLookup, LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { Agent } from 'undici';
import { isPublicAddress } from './public-url';

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** An error our own address rule raised: the remote was never contacted. */
export class BlockedAddressError extends Error {
  readonly code = 'EBLOCKEDADDRESS';
}

/**
 * The DNS lookup of every connection to a URL a tenant chose (webhook endpoints, remote MCP
 * servers): it resolves the host once, refuses the whole answer if any address is not public, and
 * hands the connection exactly the addresses it checked. There is no second lookup to rebind, and
 * the check costs nothing on a kept-alive connection.
 */
export function pinnedLookup(allowPrivate: boolean) {
  return (hostname: string, options: { all?: boolean } | number, callback: LookupCallback): void => {
    const wantAll = typeof options === 'object' && options.all === true;
    dnsLookup(hostname, { all: true, verbatim: true }, (err, addresses) => {
      if (err) return callback(err, wantAll ? [] : '');
      const list = addresses as LookupAddress[];
      if (list.length === 0) return callback(Object.assign(new Error(`${hostname} does not resolve`), { code: 'ENOTFOUND' }), wantAll ? [] : '');
      if (!allowPrivate && !list.every((a) => isPublicAddress(a.address))) {
        return callback(new BlockedAddressError(`${hostname} resolves to a non-public address`), wantAll ? [] : '');
      }
      if (wantAll) return callback(null, list);
      callback(null, list[0].address, list[0].family);
    });
  };
}

/** An undici Agent whose every new connection goes through pinnedLookup. */
export function pinnedAgent(allowPrivate: boolean, options: Omit<Agent.Options, 'connect'> & { connectTimeoutMs?: number } = {}): Agent {
  const { connectTimeoutMs = 10_000, ...rest } = options;
  return new Agent({ ...rest, connect: { lookup: pinnedLookup(allowPrivate), timeout: connectTimeoutMs } });
}

/**
 * Why a URL may not be connected to before any connection is tried, or null: an IP-literal host
 * never reaches the lookup hook, so a non-public one is refused here; and only https (http too
 * with allowPrivate, for development and tests).
 */
export function connectionTargetProblem(url: URL, allowPrivate: boolean): string | null {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) && !allowPrivate && !isPublicAddress(host)) return 'refused: the URL is a non-public address';
  if (url.protocol !== 'https:' && !(allowPrivate && url.protocol === 'http:')) return 'refused: the URL is not https';
  return null;
}

/** Whether an error (or its cause) is our address rule's refusal; its message says why. */
export function blockedAddressOf(err: unknown): BlockedAddressError | null {
  const e = err as { cause?: unknown } | null;
  if (e instanceof BlockedAddressError) return e;
  if (e?.cause instanceof BlockedAddressError) return e.cause;
  const inner = (e?.cause as { cause?: unknown } | undefined)?.cause;
  return inner instanceof BlockedAddressError ? inner : null;
}
