const MAX_HEADER_NAME = 64;
const MAX_HEADER_VALUE = 1024;
/** An HTTP field name (RFC 9110 token). */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Visible ASCII and inner spaces: no CR/LF (header injection), no other control character. */
const VALUE = /^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/;

export interface CustomHeaderRules {
  /** At most this many headers. */
  max: number;
  /** Whether a (lower-case) header name is one the caller may not set. */
  isReserved(lowerCaseName: string): boolean;
}

/**
 * Why `headers` may not be headers a tenant adds to the requests we send for it (webhook
 * deliveries, calls to a remote MCP server), or null when they may: an object of at most
 * `rules.max` HTTP tokens (64 characters) to printable values (1024), none reserved, none twice.
 */
export function customHeadersProblem(headers: unknown, rules: CustomHeaderRules): string | null {
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) return 'headers must be an object of header name to value';
  const entries = Object.entries(headers);
  if (entries.length > rules.max) return `headers may hold at most ${rules.max} headers`;
  const seen = new Set<string>();
  for (const [name, value] of entries) {
    const lower = name.toLowerCase();
    if (name.length > MAX_HEADER_NAME || !TOKEN.test(name)) return `header name "${name.slice(0, MAX_HEADER_NAME)}" must be an HTTP token of at most ${MAX_HEADER_NAME} characters`;
    if (rules.isReserved(lower)) return `header "${name}" is reserved and cannot be set`;
    if (seen.has(lower)) return `header "${name}" is given twice`;
    seen.add(lower);
    if (typeof value !== 'string' || value.length > MAX_HEADER_VALUE || !VALUE.test(value)) return `header "${name}" must have a value of 1 to ${MAX_HEADER_VALUE} printable ASCII characters`;
  }
  return null;
}
