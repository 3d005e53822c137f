/**
 * Turning a request into anonymous facts: the daily visitor hash, the
 * referrer's host, device, browser and OS, geography. Nothing here keeps
 * the IP or the user agent; they only pass through the hash and the parser.
 */
import UAParser from "ua-parser-js";
import type { DeviceType } from "../store/layout";
import { hmacKey } from "../http/secrets";
import { hostMatches } from "../admin/hosts";

const encoder = new TextEncoder();

/**
 * HMAC-SHA256 under FINGERPRINT_SECRET over (UTC date, tenant, IP, user agent),
 * truncated to 64 bits. The date in the input makes the hash of the same
 * visitor change at UTC midnight, so no identifier outlives a day; the secret
 * keeps anyone without it from recomputing hashes for guessed IPs; the tenant
 * keeps one visitor unlinkable across tenants.
 */
export async function visitorHash(secret: string, tenantId: string, ip: string, userAgent: string, now = new Date()): Promise<string> {
  const day = now.toISOString().slice(0, 10);
  const input = encoder.encode(`${day}\n${tenantId}\n${ip}\n${userAgent}`);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", await hmacKey(secret), input));
  let hex = "";
  for (let i = 0; i < 8; i++) hex += mac[i]!.toString(16).padStart(2, "0");
  return hex;
}

/**
 * The referrer reduced to its host. A referrer from the page's own site
 * (same host, `www.` aside, or a host on the tenant's allowlist) is internal
 * navigation, not a referral, and is reported as none.
 */
export function referrerDomain(referrer: string | undefined, pageHost: string | null, allowlist: readonly string[]): string {
  if (!referrer) return "";
  let host: string;
  try {
    const url = new URL(referrer);
    if (url.protocol !== "http:" && url.protocol !== "https:") return "";
    host = url.hostname.replace(/\.$/, "");
  } catch {
    return "";
  }
  if (!host) return "";
  if (pageHost && hostMatches(pageHost, host)) return "";
  if (allowlist.some((entry) => hostMatches(entry, host))) return "";
  return host;
}

export interface DeviceInfo {
  device: DeviceType;
  browser: string;
  os: string;
}

// User agents repeat heavily; parsing one costs tens of regular expressions.
const deviceCache = new Map<string, DeviceInfo>();
const MAX_CACHED_AGENTS = 500;

export function deviceInfo(userAgent: string): DeviceInfo {
  const cached = deviceCache.get(userAgent);
  if (cached) return cached;
  const result = new UAParser(userAgent).getResult();
  const type = result.device.type;
  const info: DeviceInfo = {
    device: type === "tablet" ? "tablet" : type === "mobile" || type === "wearable" ? "mobile" : "desktop",
    browser: (result.browser.name ?? "").slice(0, 64),
    os: (result.os.name ?? "").slice(0, 64),
  };
  if (deviceCache.size >= MAX_CACHED_AGENTS) deviceCache.delete(deviceCache.keys().next().value as string);
  deviceCache.set(userAgent, info);
  return info;
}

export interface Geography {
  country: string;
  city: string;
}

/** Country and city from Cloudflare's edge (`request.cf`); absent in some test runtimes. */
export function edgeGeography(request: Request): Geography {
  const cf = (request as { cf?: { country?: unknown; city?: unknown } }).cf;
  const country = typeof cf?.country === "string" && /^[A-Z0-9]{2}$/.test(cf.country) ? cf.country : "";
  const city = typeof cf?.city === "string" ? cf.city.slice(0, 128) : "";
  return { country, city };
}
