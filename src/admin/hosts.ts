/**
 * Host names as the allowlist stores and compares them (api.md, Admin):
 * lower case, no scheme, port, path or trailing dot, internationalised
 * names in punycode, `*.` for "every subdomain". `example.com` and
 * `www.example.com` admit each other.
 */

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** Returns the normalised host (or `*.host`), or null when the input is not a host name. */
export function normaliseHost(input: string): string | null {
  let value = input.trim().toLowerCase();
  if (!value || value.length > 300) return null;
  let wildcard = false;
  if (value.startsWith("*.")) {
    wildcard = true;
    value = value.slice(2);
  }
  // Let the URL parser strip scheme, credentials, port and path and apply IDNA (punycode).
  if (!/^[a-z][a-z0-9+.-]*:\/\//.test(value)) value = `http://${value}`;
  let host: string;
  try {
    host = new URL(value).hostname;
  } catch {
    return null;
  }
  host = host.replace(/\.$/, "");
  if (host.length === 0 || host.length > 253) return null;
  const labels = host.split(".");
  if (!labels.every((label) => LABEL.test(label))) return null;
  // `*.com` would admit a whole top-level domain: a wildcard needs a registrable name under it.
  if (wildcard && labels.length < 2) return null;
  return wildcard ? `*.${host}` : host;
}

const withoutWww = (host: string) => (host.startsWith("www.") ? host.slice(4) : host);

/** True when `host` (already normalised, from a request) is admitted by one allowlist entry. */
export function hostMatches(entry: string, host: string): boolean {
  if (entry.startsWith("*.")) return host.endsWith(entry.slice(1));
  return withoutWww(entry) === withoutWww(host);
}

export function isAllowed(allowlist: readonly string[], host: string): boolean {
  return allowlist.some((entry) => hostMatches(entry, host));
}
