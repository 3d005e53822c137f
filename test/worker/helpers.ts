/**
 * Shared helpers for Worker tests. Requests go through the Worker's own
 * fetch handler inside workerd; `withEnv` swaps settings for one call (for
 * example to send writes to the local engine instead of the no-op binding).
 */
import { env } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { inject } from "vitest";
import worker from "../../src/index";
import { toDataPoint, type StoredEvent } from "../../src/store/layout";

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

/** The API's JSON error shape (api.md, "Everywhere"). */
export interface ErrorBody {
  error: { code: string; message: string };
}

/**
 * Asserts an error response as every client sees it: the status, JSON with
 * `{error: {code, message}}`, a snake_case code, a message naming `mentions`
 * (the field or setting at fault), and no stack trace or cookie.
 */
export async function expectError(response: Response, status: number, mentions?: string | RegExp): Promise<ErrorBody> {
  const text = await response.text();
  if (response.status !== status) throw new Error(`expected HTTP ${status}, got ${response.status}: ${text}`);
  if (response.headers.get("content-type") !== "application/json; charset=utf-8") {
    throw new Error(`expected a JSON error, got content-type ${response.headers.get("content-type")}: ${text}`);
  }
  if (response.headers.get("set-cookie") !== null) throw new Error("an error response set a cookie");
  const body = JSON.parse(text) as ErrorBody;
  if (typeof body?.error?.code !== "string" || !/^[a-z][a-z0-9_]*$/.test(body.error.code)) {
    throw new Error(`error.code is not a snake_case string: ${text}`);
  }
  if (typeof body.error.message !== "string" || body.error.message.length === 0) throw new Error(`error.message is missing: ${text}`);
  // A stack trace shows up as "at fn (file:line)" frames or source file names.
  if (/\n\s*at\s|\.ts:\d+|\.js:\d+/.test(text)) throw new Error(`the error leaks a stack trace: ${text}`);
  if (mentions !== undefined) {
    const named = typeof mentions === "string" ? body.error.message.includes(mentions) : mentions.test(body.error.message);
    if (!named) throw new Error(`error.message does not name ${String(mentions)}: ${body.error.message}`);
  }
  return body;
}

// ---- Reports: shared by reports*.test.ts and token-matrix.test.ts ----

/** Every report route of api.md, Reports. */
export const REPORT_NAMES = ["overview", "pages", "referrers", "geo", "devices", "realtime", "events", "timeseries"] as const;
export type ReportName = (typeof REPORT_NAMES)[number];

/** A tenant id no other test (or earlier run against the same engines) uses, so counts are exact. */
export function uniqueTenant(prefix: string): string {
  return `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
}

/** GET /api/<report>?tenant_id=…&… with the admin token unless another Authorization is given. */
export function reportRequest(name: string, tenantId: string | null, params: Record<string, string | number> = {}, authorization: string | null = `Bearer ${ADMIN}`): Request {
  const url = new URL(`${BASE}/api/${name}`);
  if (tenantId !== null) url.searchParams.set("tenant_id", tenantId);
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, String(value));
  const headers = new Headers();
  if (authorization !== null) headers.set("authorization", authorization);
  return new Request(url, { headers });
}

/** Runs one report and returns the status and parsed JSON body. */
export async function getReport(name: string, tenantId: string | null, params: Record<string, string | number> = {}, overrides: EnvOverrides = {}) {
  const response = await call(reportRequest(name, tenantId, params), overrides);
  const body = (await response.json()) as any;
  return { status: response.status, headers: response.headers, body };
}

/** Base URL of a local engine (its SQL route is `${url}/client/v4/accounts/:account/analytics_engine/sql`). */
export function engineBaseUrl(which: "plain" | "sampled" = "plain"): string {
  return engineEnv(which).ANALYTICS_SQL_API_URL!.replace(/\/client\/v4$/, "");
}

/** A stored event with neutral defaults, for writing history straight into an engine. */
export function storedEvent(fields: Partial<StoredEvent> & Pick<StoredEvent, "tenantId">): StoredEvent {
  return {
    type: "pageview",
    path: "/",
    referrer: "",
    eventName: "",
    utmSource: "",
    utmMedium: "",
    utmCampaign: "",
    country: "",
    city: "",
    device: "desktop",
    browser: "Chrome",
    os: "Windows",
    visitor: "0000000000000000",
    siteId: "",
    source: "server",
    duration: 0,
    ...fields,
  };
}

/**
 * Writes events with past timestamps (ms) straight into a local engine, built
 * with the Worker's own `toDataPoint`: the collect path always stamps "now".
 */
export async function ingestHistory(which: "plain" | "sampled", events: { event: StoredEvent; at: number }[]): Promise<void> {
  const url = engineBaseUrl(which);
  const points = events.map(({ event, at }) => ({ ...toDataPoint(event), timestamp: at }));
  const response = await fetch(`${url}/ingest`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ dataset: "manhali_events", points }),
  });
  if (response.status !== 202) throw new Error(`engine ingest failed: ${response.status} ${await response.text()}`);
  await response.body?.cancel();
}
