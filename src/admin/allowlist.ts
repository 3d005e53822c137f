/**
 * Each tenant's browser-origin allowlist in Workers KV.
 *
 * KV layout: one key per tenant, `allowlist:<tenantId>`, whose value is the
 * sorted JSON array of normalised hosts, e.g. `["*.school.org","example.com"]`.
 * Collection knows the tenant (the `sid`) before it knows whether the origin
 * is allowed, so one `get` answers every question it has: is this host
 * admitted, and does the tenant have any domain at all (for the setup grace
 * period). A key per (tenant, host) would need a `list` or several reads to
 * evaluate `www.` and `*.` rules. A tenant's list is small (tens of hosts), far
 * under KV's 25 MiB value limit, and admin writes are rare, so rewriting the
 * whole array is fine (KV allows one write per key per second).
 *
 * Look-ups are cached inside the isolate so that a busy site costs about one
 * KV read per minute per isolate instead of one per event. A positive answer
 * is trusted for 60 s; a refusal only for 10 s, so that a freshly registered
 * domain starts counting quickly (KV itself may still lag up to a minute
 * between locations: see the README).
 */
import { ApiError } from "../http/errors";
import { isAllowed } from "./hosts";

const KEY_PREFIX = "allowlist:";
const ALLOWED_TTL_MS = 60_000;
const REFUSED_TTL_MS = 10_000;
const MAX_CACHED_TENANTS = 1_000;

interface CachedList {
  domains: readonly string[];
  fetchedAt: number;
}

const cache = new Map<string, CachedList>();

function unavailable(): ApiError {
  return new ApiError(503, "allowlist_unavailable", "The domain allowlist could not be read; try again shortly.", { "retry-after": "5" });
}

export async function readAllowlist(kv: KVNamespace, tenantId: string): Promise<string[]> {
  let raw: unknown;
  try {
    raw = await kv.get(KEY_PREFIX + tenantId, "json");
  } catch {
    throw unavailable();
  }
  return Array.isArray(raw) ? raw.filter((d): d is string => typeof d === "string") : [];
}

export async function writeAllowlist(kv: KVNamespace, tenantId: string, domains: readonly string[]): Promise<void> {
  const sorted = [...new Set(domains)].sort();
  try {
    if (sorted.length === 0) await kv.delete(KEY_PREFIX + tenantId);
    else await kv.put(KEY_PREFIX + tenantId, JSON.stringify(sorted));
  } catch {
    throw unavailable();
  }
  // This isolate sees its own change at once; others within their cache TTL.
  cache.delete(tenantId);
}

function remember(tenantId: string, domains: readonly string[], now: number): CachedList {
  // Map keeps insertion order: re-inserting moves the tenant to the end, and
  // the first key is the least recently fetched one.
  cache.delete(tenantId);
  if (cache.size >= MAX_CACHED_TENANTS) cache.delete(cache.keys().next().value as string);
  const entry = { domains, fetchedAt: now };
  cache.set(tenantId, entry);
  return entry;
}

export interface OriginCheck {
  allowed: boolean;
  /** The tenant has at least one registered domain. */
  registered: boolean;
  domains: readonly string[];
}

export async function checkOrigin(kv: KVNamespace, tenantId: string, host: string, now = Date.now()): Promise<OriginCheck> {
  let entry = cache.get(tenantId);
  if (entry) {
    const age = now - entry.fetchedAt;
    const allowed = isAllowed(entry.domains, host);
    if (age < (allowed ? ALLOWED_TTL_MS : REFUSED_TTL_MS)) {
      return { allowed, registered: entry.domains.length > 0, domains: entry.domains };
    }
  }
  entry = remember(tenantId, await readAllowlist(kv, tenantId), now);
  return { allowed: isAllowed(entry.domains, host), registered: entry.domains.length > 0, domains: entry.domains };
}
