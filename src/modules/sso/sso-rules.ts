/** At most this many e-mail domains per connection. */
export const MAX_ALLOWED_DOMAINS = 20;

const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/** Whether `value` is a domain name an owner may allow (lower-case, at least two labels, no wildcard). */
export function isAllowedDomainName(value: string): boolean {
  return DOMAIN.test(value);
}

/**
 * The address an outside identity provider asserted, when it may sign someone in: the provider
 * says it verified it (email_verified: true, the boolean, not a string), and its domain is one the
 * workspace allows, exactly (a subdomain is another domain). Null otherwise.
 */
export function acceptedEmail(claims: { email?: unknown; email_verified?: unknown }, allowedDomains: readonly string[]): string | null {
  if (claims.email_verified !== true || typeof claims.email !== 'string') return null;
  const email = claims.email.trim().toLowerCase();
  const at = email.lastIndexOf('@');
  if (at < 1 || email.length > 254 || email.includes('\u0000')) return null;
  return allowedDomains.includes(email.slice(at + 1)) ? email : null;
}
