/**
 * Shared helpers for Worker tests. Requests go through the Worker's own
 * fetch handler inside workerd; `withEnv` swaps settings for one call (for
 * example to send writes to the local engine instead of the no-op binding).
 */
import { env } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { inject } from "vitest";
import worker from "../../src/index";

export const ADMIN = "test-admin-token";
export const INGEST = "test-ingest-token";
export const BASE = "http://analytics.test";

export type EnvOverrides = Partial<Record<string, string>>;

export async function call(request: Request, overrides: EnvOverrides = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(request, { ...env, ...overrides } as Env, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

/** Settings that send data points to a local engine and read reports from it. */
export function engineEnv(which: "plain" | "sampled" = "plain"): EnvOverrides {
  const url = which === "plain" ? inject("engineUrl") : inject("sampledEngineUrl");
  return { ANALYTICS_LOCAL_INGEST_URL: `${url}/ingest`, ANALYTICS_SQL_API_URL: `${url}/client/v4` };
}

export function admin(path: string, init: RequestInit & { json?: unknown } = {}): Request {
  const { json, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (!headers.has("authorization")) headers.set("authorization", `Bearer ${ADMIN}`);
  if (json !== undefined) headers.set("content-type", "application/json");
  return new Request(`${BASE}${path}`, { ...rest, headers, body: json === undefined ? rest.body : JSON.stringify(json) });
}

export const CHROME_UA =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

/** A browser-style collect request: text/plain, Origin, a real user agent and an edge IP. */
export function browserEvent(event: unknown, init: { origin?: string; ip?: string; ua?: string; cf?: Record<string, unknown>; headers?: Record<string, string> } = {}): Request {
  const headers: Record<string, string> = { "content-type": "text/plain;charset=UTF-8", "user-agent": init.ua ?? CHROME_UA, "cf-connecting-ip": init.ip ?? "203.0.113.7", ...init.headers };
  if (init.origin !== "") headers.origin = init.origin ?? "https://school.example";
  return new Request(`${BASE}/api/collect`, { method: "POST", headers, body: typeof event === "string" ? event : JSON.stringify(event), cf: init.cf } as RequestInit);
}

export function serverEvent(event: unknown, init: { token?: string; ip?: string; ua?: string } = {}): Request {
  return new Request(`${BASE}/api/collect`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      authorization: `Bearer ${init.token ?? INGEST}`,
      "x-forwarded-for": `${init.ip ?? "198.51.100.20"}, 10.0.0.1`,
      "user-agent": init.ua ?? CHROME_UA,
    },
    body: JSON.stringify(event),
  });
}

export async function registerDomain(tenantId: string, domain: string): Promise<void> {
  const response = await call(admin(`/api/admin/domains?tenant_id=${tenantId}`, { method: "POST", json: { domain } }));
  if (response.status !== 201 && response.status !== 200) throw new Error(`registering ${domain} failed: ${response.status}`);
}
