/**
 * Which tenant an event belongs to (api.md, "Tenant resolution"), in order:
 * 1. `tid` with a valid server bearer token (server-to-server);
 * 2. `sid` with a browser Origin (or Referer) on the tenant's allowlist;
 * 3. in development only, the request origin's host name.
 * Each answer also says whose IP and user agent describe the visitor.
 */
import type { Settings } from "../config";
import type { EventSource } from "../store/layout";
import { ApiError, badRequest, forbidden, unauthorized } from "../http/errors";
import { bearerToken, secretsEqual } from "../http/secrets";
import { normaliseHost } from "../admin/hosts";
import { checkOrigin, type OriginCheck } from "../admin/allowlist";

export interface Visitor {
  ip: string;
  userAgent: string;
}

export interface TenantResolution {
  tenantId: string;
  siteId: string;
  source: EventSource;
  /** The browser page's host, for telling internal navigation from referrals. */
  pageHost: string | null;
  allowlist: readonly string[];
  visitor: Visitor;
}

/** True when the request carries `INGEST_TOKEN` (when set) or `AUTH_TOKEN`. */
export async function isServerAuthenticated(settings: Settings, request: Request): Promise<boolean> {
  const token = bearerToken(request);
  if (!token) return false;
  const accepted = [settings.secrets.INGEST_TOKEN, settings.secrets.AUTH_TOKEN].filter((s): s is string => !!s);
  if (accepted.length === 0) {
    throw new ApiError(503, "missing_setting", "The server setting INGEST_TOKEN (or AUTH_TOKEN) is not configured, so server events cannot be authenticated.");
  }
  // Compare against every accepted token so the time taken does not tell which one matched.
  const matches = await Promise.all(accepted.map((secret) => secretsEqual(token, secret)));
  return matches.includes(true);
}

/** The browser page's host: from `Origin`, or from `Referer` when a browser sends no Origin. */
export function browserHost(request: Request): string | null {
  const origin = request.headers.get("origin");
  const source = origin && origin !== "null" ? origin : request.headers.get("referer");
  if (!source) return null;
  try {
    const url = new URL(source);
    return url.protocol === "http:" || url.protocol === "https:" ? normaliseHost(url.hostname) : null;
  } catch {
    return null;
  }
}

function serverVisitor(request: Request): Visitor {
  // The backend forwards the real visitor: first X-Forwarded-For entry and its User-Agent.
  const forwarded = (request.headers.get("x-forwarded-for") ?? "").split(",")[0]!.trim();
  return { ip: forwarded.slice(0, 64), userAgent: request.headers.get("user-agent") ?? "" };
}

function browserVisitor(request: Request): Visitor {
  // X-Forwarded-For is never trusted from a browser: anyone can set it.
  return { ip: request.headers.get("cf-connecting-ip") ?? "", userAgent: request.headers.get("user-agent") ?? "" };
}

/**
 * The allowlist decision for one site and page host. With
 * ALLOW_UNREGISTERED_DOMAINS, a site that has registered no domain yet admits
 * any origin (setup grace period); once it has one, the list applies.
 */
export async function admitOrigin(settings: Settings, kv: KVNamespace, siteId: string, host: string): Promise<OriginCheck> {
  const check = await checkOrigin(kv, siteId, host);
  if (!check.allowed && !(settings.allowUnregisteredDomains && !check.registered)) {
    throw forbidden(`The origin ${host} is not on the allowlist of site ${siteId}.`);
  }
  return check;
}

/** Development fallback: a host name made into a valid tenant id (`blog.example.com` → `blog-example-com`). */
export function tenantFromHost(host: string): string {
  return host.replace(/[^A-Za-z0-9_-]/g, "-").replace(/^[-_]+/, "").slice(0, 64);
}

export async function resolveTenant(
  event: { tid?: string; sid?: string },
  request: Request,
  settings: Settings,
  kv: KVNamespace,
  serverAuthenticated: boolean,
): Promise<TenantResolution> {
  if (event.tid !== undefined) {
    if (!serverAuthenticated) {
      throw unauthorized("An event with tid needs `Authorization: Bearer` with the ingest token.");
    }
    return { tenantId: event.tid, siteId: "", source: "server", pageHost: null, allowlist: [], visitor: serverVisitor(request) };
  }

  const host = browserHost(request);
  if (event.sid !== undefined) {
    if (!host) throw badRequest("missing_origin", "A browser event with sid needs an Origin or Referer header naming the page's site.");
    const check = await admitOrigin(settings, kv, event.sid, host);
    return { tenantId: event.sid, siteId: event.sid, source: "browser", pageHost: host, allowlist: check.domains, visitor: browserVisitor(request) };
  }

  if (settings.isDevelopment && host && tenantFromHost(host)) {
    const tenantId = tenantFromHost(host);
    return { tenantId, siteId: "", source: "browser", pageHost: host, allowlist: [], visitor: browserVisitor(request) };
  }
  throw badRequest("missing_tenant", "Send sid (browser collection) or tid with a bearer token (server-to-server).");
}
