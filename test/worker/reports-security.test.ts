/**
 * Reports and hostile input. The SQL API has no bind parameters, so every
 * value that reaches SQL text is a risk: stored free text must come back
 * byte for byte, hostile ids must be refused before any SQL is built, every
 * generated statement must stay inside Analytics Engine's SQL subset, and
 * upstream trouble must become a clean 502/503, never a 500 or an echo.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { ADMIN, BASE, call, engineBaseUrl, engineEnv, getReport, REPORT_NAMES, reportRequest, serverEvent, uniqueTenant, type EnvOverrides } from "./helpers";
import { sqlString } from "../../src/reports/sql";
import type { Row, SqlApi } from "../../src/store/sql-api";
import { overview } from "../../src/reports/overview";
import { pages } from "../../src/reports/pages";
import { referrers } from "../../src/reports/referrers";
import { geo } from "../../src/reports/geo";
import { devices } from "../../src/reports/devices";
import { events } from "../../src/reports/events";
import { realtime } from "../../src/reports/realtime";
import { timeseries } from "../../src/reports/timeseries";
// Plain JavaScript from the local engine: the same check the engine applies to every query.
// @ts-expect-error -- plain JavaScript module without declarations
import { checkAnalyticsEngineSql } from "../../local/analytics-engine/sql-subset.js";

const plain = engineEnv("plain");
const ENGINE_TOKEN = "test-cf-api-token";

type ErrorBody = { error: { code: string; message: string } };

async function expectErrorShape(response: Response): Promise<ErrorBody> {
  expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
  const body = (await response.json()) as ErrorBody;
  expect(Object.keys(body)).toEqual(["error"]);
  expect(body.error.code).toMatch(/^[a-z]+(_[a-z]+)*$/);
  expect(typeof body.error.message).toBe("string");
  expect(body.error.message.length).toBeGreaterThan(0);
  return body;
}

// Strings that have broken SQL built by splicing: quotes, backslashes, comment
// and statement markers, ClickHouse-only syntax, percent escapes, and unicode.
const HOSTILE = [
  "'",
  "''",
  "\\",
  "\\'",
  "'\\",
  "\\\\'",
  "abc\\",
  "' OR 1=1 --",
  "' OR '1'='1",
  "'; DROP TABLE x; --",
  "x'); SELECT * FROM manhali_events; --",
  '"double" `back`',
  "/* open comment",
  "$$heredoc$$",
  "{tenant:String}",
  "\\x41 \\0 \\N",
  "100% sure _ LIKE %",
  "%00",
  "%27%22",
  "JOIN UNION CASE(",
  "تحليلات منهالي",
  "😀🎉👩‍💻",
  "\u202egnp.exe\u00a0\u2028",
];
const LONG_E = (n: number) => "é".repeat(n);
/** A printable ASCII name for a test title: vitest sends titles over a WebSocket, and a split surrogate breaks it. */
const label = (s: string) => JSON.stringify(s).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`).slice(0, 60);

describe("hostile strings in stored fields come back byte-identical", () => {
  const attacker = uniqueTenant("security-attacker");
  const victim = uniqueTenant("security-victim");
  // Paths: no `?` or `#` (the query string and plain fragments are not kept, by design).
  const paths = [...HOSTILE.map((s) => `/${s}`), `/${LONG_E(1000)}`];
  const utm = [...HOSTILE, LONG_E(256)];
  const names = [...HOSTILE, LONG_E(64)];
  const cities = [...HOSTILE, LONG_E(128)];
  // Hosts the URL parser keeps as they are (quotes and semicolons are legal in a host).
  const referrerHosts = ["x'or'1'='1.example", 'a"b.example', "a;drop--.example"];

  beforeAll(async () => {
    const send = async (_tenant: string, batch: Record<string, unknown>[], ip: string) => {
      const response = await call(serverEvent(batch, { ip }), plain);
      expect(response.status, await response.clone().text()).toBe(202);
    };
    // Victim first: its rows are what an injection would reveal.
    await send(
      victim,
      [
        { tid: victim, p: "/victim-secret-page", r: "https://victim-referrer.example/", us: "victim-source", um: "victim-medium", uc: "victim-campaign", co: "NZ", ci: "VictimCity" },
        { tid: victim, t: "event", p: "/victim-secret-page", en: "victim-event" },
      ],
      "198.51.100.200",
    );
    // Attacker: one visitor, one pageview per hostile path; hostile UTM values, cities and event names.
    await send(attacker, paths.map((p) => ({ tid: attacker, p, co: "MA" })), "198.51.100.201");
    await send(attacker, utm.map((s, i) => ({ tid: attacker, p: "/utm", us: s, um: s, uc: s, ci: cities[i], co: "MA" })), "198.51.100.201");
    await send(attacker, names.map((en) => ({ tid: attacker, t: "event", p: "/e", en })), "198.51.100.201");
    await send(attacker, referrerHosts.map((host) => ({ tid: attacker, p: "/ref", r: `https://${host}/'%27?q='` })), "198.51.100.201");
  }, 60_000);

  it("paths", async () => {
    const { status, body } = await getReport("pages", attacker, { limit: 100 });
    expect(status).toBe(200);
    const byPath = new Map((body.pages as { path: string; views: number }[]).map((p) => [p.path, p.views]));
    for (const p of paths) expect(byPath.get(p), label(p)).toBe(1);
    expect(byPath.get("/utm")).toBe(utm.length);
    expect(byPath.size).toBe(paths.length + 2); // + /utm and /ref, nothing else
  });

  it("UTM sources, mediums and campaigns", async () => {
    const { status, body } = await getReport("referrers", attacker, { limit: 100 });
    expect(status).toBe(200);
    for (const list of [body.utm.sources, body.utm.mediums, body.utm.campaigns] as { value: string; views: number }[][]) {
      expect(list.map((row) => row.value).sort()).toEqual([...utm].sort());
      for (const row of list) expect(row.views).toBe(1);
    }
  });

  it("referrer hosts with quotes and semicolons", async () => {
    const { body } = await getReport("referrers", attacker, { limit: 100 });
    expect((body.referrers as { domain: string }[]).map((r) => r.domain).sort()).toEqual([...referrerHosts].sort());
  });

  it("cities (server-to-server ci)", async () => {
    const { status, body } = await getReport("geo", attacker);
    expect(status).toBe(200);
    expect(body.countries).toEqual([{ country: "MA", views: paths.length + utm.length, visitors: 1 }]);
    const got = (body.cities as { country: string; city: string; views: number }[]).map((c) => c.city).sort();
    expect(got).toEqual([...cities].sort());
    for (const city of body.cities) expect(city).toMatchObject({ country: "MA", views: 1 });
  });

  it("custom event names", async () => {
    const { status, body } = await getReport("events", attacker, { limit: 100 });
    expect(status).toBe(200);
    expect((body.events as { name: string }[]).map((e) => e.name).sort()).toEqual([...names].sort());
    for (const event of body.events) expect(event.count).toBe(1);
  });

  it("every report still answers exactly the attacker's own numbers and never shows the victim's rows", async () => {
    for (const name of REPORT_NAMES) {
      const { status, body } = await getReport(name, attacker, { limit: 100 });
      expect(status, name).toBe(200);
      expect(JSON.stringify(body), name).not.toMatch(/victim|VictimCity|"NZ"/i);
    }
    const { body } = await getReport("overview", attacker);
    expect(body.totals).toEqual({ visitors: 1, pageviews: paths.length + utm.length + referrerHosts.length, events: names.length, avg_duration: 0 });
    // And the victim's report is intact and its own.
    const victimView = await getReport("overview", victim);
    expect(victimView.body.totals).toEqual({ visitors: 1, pageviews: 1, events: 1, avg_duration: 0 });
    expect(victimView.body.top_pages).toEqual([{ path: "/victim-secret-page", views: 1, visitors: 1 }]);
  });
});

describe("control characters are refused at collect", () => {
  const tenant = uniqueTenant("security-control");
  const CONTROL = ["\u0000", "\n", "\r", "\t", "\u0001", "\u001b", "\u007f"];
  const FIELDS: [field: string, event: (c: string) => Record<string, unknown>][] = [
    ["p", (c) => ({ p: `/a${c}b` })],
    ["r", (c) => ({ p: "/", r: `https://ref.example/${c}` })],
    ["en", (c) => ({ t: "event", p: "/", en: `click${c}` })],
    ["us", (c) => ({ p: "/", us: `src${c}` })],
    ["um", (c) => ({ p: "/", um: `med${c}` })],
    ["uc", (c) => ({ p: "/", uc: `camp${c}` })],
    ["ci", (c) => ({ p: "/", ci: `city${c}` })],
  ];

  for (const [field, make] of FIELDS) {
    it.each(CONTROL.map((c) => [label(c), c]))(`${field} with %s is a 400 naming ${field}`, async (_, c) => {
      const response = await call(serverEvent({ tid: tenant, ...make(c) }), plain);
      expect(response.status).toBe(400);
      const body = await expectErrorShape(response);
      expect(body.error.message).toContain(field);
    });
  }

  it("and nothing of those requests was stored", async () => {
    const { body } = await getReport("overview", tenant, { days: 1 });
    expect(body.totals).toMatchObject({ pageviews: 0, events: 0, visitors: 0 });
  });
});

describe("hostile tenant_id query parameters", () => {
  // Raw query strings, so that percent escapes reach the Worker as written.
  const RAW = [
    "x'%20OR%20'1'%3D'1",
    "x%5C",
    "%27",
    "%2527",
    "x%00",
    "x%0A",
    "%D8%AA%D8%AC%D8%B1%D8%A8%D8%A9", // Arabic
    "%F0%9F%98%80", // emoji
    "x;DROP%20TABLE%20manhali_events",
    "a/*",
    "tenant%20",
  ];
  const routes = [...REPORT_NAMES.map((name) => `/api/${name}`), "/api/admin/domains"];

  it("a valid id that looks like a comment marker (`a--`) stays data: 200 with that tenant's (empty) rows", async () => {
    const id = `${uniqueTenant("security")}--`;
    for (const name of REPORT_NAMES) {
      const { status, body } = await getReport(name, id);
      expect(status, name).toBe(200);
      expect(body.tenant_id).toBe(id);
    }
    const { body } = await getReport("overview", id);
    expect(body.totals).toEqual({ visitors: 0, pageviews: 0, events: 0, avg_duration: 0 });
  });

  for (const route of routes) {
    it.each(RAW)(`${route}?tenant_id=%s is a 400`, async (raw) => {
      const response = await call(new Request(`${BASE}${route}?tenant_id=${raw}`, { headers: { authorization: `Bearer ${ADMIN}` } }));
      expect(response.status).toBe(400);
      const body = await expectErrorShape(response);
      expect(body.error.message).toContain("tenant_id");
    });
  }
});

describe("sqlString against the real engine", () => {
  const STRINGS = [
    ...HOSTILE,
    "",
    "\u0000",
    "a\u0000b",
    "\n",
    "\r\n",
    "\t",
    "\u007f",
    "\u0001\u001f",
    "\\x00",
    "\\n",
    "\\\\\\",
    "'\\''",
    "-- comment",
    "# hash",
    "?",
    LONG_E(1000),
    "بيانات".repeat(200),
    "😀".repeat(300),
  ];

  it.each(STRINGS.map((s) => [label(s), s]))("%s round-trips", async (_, s) => {
    const response = await fetch(`${engineBaseUrl("plain")}/client/v4/accounts/x/analytics_engine/sql`, {
      method: "POST",
      headers: { authorization: `Bearer ${ENGINE_TOKEN}`, "content-type": "text/plain" },
      body: `SELECT ${sqlString(s)} AS v FORMAT JSON`,
    });
    const text = await response.text();
    expect(response.status, text).toBe(200);
    const body = JSON.parse(text) as { data: { v: string }[] };
    expect(body.data).toHaveLength(1);
    expect(body.data[0]!.v).toBe(s);
  });

  it("the literal never contains a raw control character, quote or backslash that could end it", () => {
    for (const s of STRINGS) {
      const inner = sqlString(s).slice(1, -1);
      expect(inner).not.toMatch(/[\u0000-\u001f\u007f]/);
      expect(inner.replace(/\\./gs, "")).not.toMatch(/['\\]/);
    }
  });
});

describe("every statement the Worker generates is inside Analytics Engine's SQL subset", () => {
  const tenant = uniqueTenant("security-subset");

  beforeAll(async () => {
    const response = await call(
      serverEvent(
        [
          { tid: tenant, p: "/", r: "https://ref.example/", us: "s", um: "m", uc: "c", co: "MA", ci: "Rabat" },
          { tid: tenant, t: "beacon", p: "/", d: 12 },
          { tid: tenant, t: "event", p: "/", en: "go" },
        ],
        { ip: "198.51.100.150" },
      ),
      plain,
    );
    expect(response.status).toBe(202);
  });

  const VARIANTS: [string, Record<string, string | number>][] = [
    ["overview", {}],
    ["overview", { days: 1 }],
    ["overview", { days: 90 }],
    ["pages", { limit: 1 }],
    ["pages", { limit: 100 }],
    ["referrers", { limit: 5 }],
    ["geo", {}],
    ["devices", {}],
    ["realtime", {}],
    ["events", { limit: 3 }],
    ["timeseries", { interval: "day", days: 90 }],
    ["timeseries", { interval: "hour", days: 1 }],
  ];

  it.each(VARIANTS)("%s %j answers 200 with data from the engine (a rejected query would be a 502)", async (name, params) => {
    const { status, body } = await getReport(name, tenant, params, plain);
    expect(status).toBe(200);
    expect(body.tenant_id).toBe(tenant);
  });

  it("covers every report route", () => {
    expect(new Set(VARIANTS.map(([name]) => name))).toEqual(new Set(REPORT_NAMES));
  });

  /** SQL capture: a SqlApi that records what it is asked and answers no rows. */
  function recorder(): { api: SqlApi; statements: string[] } {
    const statements: string[] = [];
    return { statements, api: { query: async (sql: string): Promise<Row[]> => (statements.push(sql), []) } };
  }

  async function generatedStatements(tenantId: string): Promise<string[]> {
    const { api, statements } = recorder();
    for (const days of [1, 30, 90]) {
      const scope = { dataset: "manhali_events", tenantId, window: { days } };
      await overview(api, scope);
      await pages(api, scope, 100);
      await referrers(api, scope, 20);
      await geo(api, scope);
      await devices(api, scope);
      await events(api, scope, 1);
      await timeseries(api, scope, "day");
      await timeseries(api, scope, "hour");
    }
    await realtime(api, { dataset: "manhali_events", tenantId, window: { minutes: 30 } });
    return statements;
  }

  it("the subset check runs here and rejects what it should", () => {
    expect(checkAnalyticsEngineSql("SELECT a FROM manhali_events JOIN other USING (a) FORMAT JSON")).not.toBeNull();
    expect(checkAnalyticsEngineSql("SELECT coalesce(blob1, '') FROM manhali_events FORMAT JSON")).not.toBeNull();
    expect(checkAnalyticsEngineSql("SELECT blob1 FROM manhali_events FORMAT JSON")).toBeNull();
  });

  it("checkAnalyticsEngineSql accepts every captured statement, and the engine runs each one", async () => {
    const statements = await generatedStatements(tenant);
    // 3 windows × (overview 2 + pages 1 + referrers 4 + geo 2 + devices 1 + events 1 + timeseries 2) + realtime 2
    expect(statements).toHaveLength(3 * 13 + 2);
    for (const sql of statements) {
      expect(checkAnalyticsEngineSql(sql), sql).toBeNull();
      expect(sql).toMatch(/ FORMAT JSON$/);
      expect(sql).toContain(`index1 = '${tenant}'`);
    }
    for (const sql of new Set(statements)) {
      const response = await fetch(`${engineBaseUrl("plain")}/client/v4/accounts/x/analytics_engine/sql`, {
        method: "POST",
        headers: { authorization: `Bearer ${ENGINE_TOKEN}` },
        body: sql,
      });
      expect(response.status, `${sql}\n${await response.clone().text()}`).toBe(200);
      await response.body?.cancel();
    }
  });
});

// ---------------------------------------------------------------------------
// The SQL API client's upstream handling. Cloudflare's endpoint cannot run
// here, so ANALYTICS_SQL_API_URL points at a fake host whose answers are
// served by a stand-in for `fetch` (cloudflare:test has no fetchMock in this
// version). Only that host is faked; anything else goes to the real fetch.
// The 401 case uses the real local engine with a wrong token instead.
// ---------------------------------------------------------------------------
describe("SQL API upstream failures", () => {
  const FAKE_BASE = "https://sql-api.fake.test/client/v4";
  const fake: EnvOverrides = { ANALYTICS_SQL_API_URL: FAKE_BASE };
  const tenant = uniqueTenant("security-upstream");
  const SECRET_DETAIL = "UPSTREAM-DETAIL-7f3a";
  const seen: { url: string; method: string; authorization: string | null; sql: string }[] = [];

  /** Serves `answer` for requests to the fake host, like Cloudflare's SQL API would for a valid request. */
  function upstream(answer: (sql: string) => Response | Promise<Response>) {
    const realFetch = globalThis.fetch;
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = new Request(input, init);
      if (!request.url.startsWith("https://sql-api.fake.test/")) return realFetch(input, init);
      const sql = await request.text();
      seen.push({ url: request.url, method: request.method, authorization: request.headers.get("authorization"), sql });
      return answer(sql);
    });
  }

  afterEach(() => {
    vi.restoreAllMocks();
    seen.length = 0;
  });

  async function expectUpstreamError(name: string, status: number, overrides: EnvOverrides = fake): Promise<{ response: Response; body: ErrorBody; text: string }> {
    const response = await call(reportRequest(name, tenant), overrides);
    expect(response.status).toBe(status);
    expect(response.status).not.toBe(500);
    const text = await response.clone().text();
    const body = await expectErrorShape(response);
    expect(text).not.toContain(SECRET_DETAIL);
    expect(text).not.toContain("Input was invalid");
    expect(text).not.toContain(ENGINE_TOKEN);
    return { response, body, text };
  }

  it("sends what the real API expects: POST raw SQL to /accounts/ACCOUNT_ID/analytics_engine/sql with the bearer token", async () => {
    upstream(() => Response.json({ meta: [], data: [], rows: 0 }));
    const response = await call(reportRequest("pages", tenant), fake);
    expect(response.status).toBe(200);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      url: `${FAKE_BASE}/accounts/test-account/analytics_engine/sql`,
      method: "POST",
      authorization: `Bearer ${ENGINE_TOKEN}`,
    });
    expect(seen[0]!.sql).toMatch(/^SELECT .* FORMAT JSON$/s);
  });

  it("429 with Retry-After: 30 becomes 503 with Retry-After: 30", async () => {
    upstream(() => new Response(`rate limited ${SECRET_DETAIL}`, { status: 429, headers: { "retry-after": "30" } }));
    for (const name of REPORT_NAMES) {
      const { response } = await expectUpstreamError(name, 503);
      expect(response.headers.get("retry-after"), name).toBe("30");
    }
  });

  it("429 without a usable Retry-After still says when to retry", async () => {
    upstream(() => new Response("slow down", { status: 429, headers: { "retry-after": "Wed, 21 Oct 2015 07:28:00 GMT" } }));
    const { response } = await expectUpstreamError("overview", 503);
    expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  it.each([500, 502, 503, 504])("%i becomes 503 with Retry-After and without the upstream body", async (status) => {
    upstream(() => new Response(`<html>stack trace ${SECRET_DETAIL}</html>`, { status, headers: { "content-type": "text/html" } }));
    const { response } = await expectUpstreamError("pages", 503);
    expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  it("422 `Input was invalid: …` becomes 502 JSON without the upstream text", async () => {
    upstream(() => new Response(`Input was invalid: unknown function foo(${SECRET_DETAIL})`, { status: 422, headers: { "content-type": "text/plain" } }));
    vi.spyOn(console, "error").mockImplementation(() => {});
    const { body } = await expectUpstreamError("events", 502);
    expect(body.error.code).toBe("query_failed");
  });

  it("403 from the API (bad account or token scope) becomes 502", async () => {
    upstream(() => Response.json({ success: false, errors: [{ code: 10000, message: `Authentication error ${SECRET_DETAIL}` }] }, { status: 403 }));
    vi.spyOn(console, "error").mockImplementation(() => {});
    await expectUpstreamError("geo", 502);
  });

  it("401 from the real local engine (wrong CF_API_TOKEN) becomes 502 and names no secret", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const { body, text } = await expectUpstreamError("overview", 502, { ...plain, CF_API_TOKEN: "wrong-token" });
    expect(text).not.toContain("wrong-token");
    expect(text).not.toContain("Authentication error");
    expect(body.error.message).toMatch(/CF_API_TOKEN/);
  });

  it("an unreachable API becomes 503 with Retry-After", async () => {
    upstream(() => {
      throw new TypeError("Network connection lost.");
    });
    const { response } = await expectUpstreamError("devices", 503);
    expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  it("a 200 that is not JSON becomes 502", async () => {
    upstream(() => new Response(`<html>${SECRET_DETAIL}</html>`, { status: 200, headers: { "content-type": "text/html" } }));
    await expectUpstreamError("pages", 502);
  });

  it("64-bit counts sent as strings come back as JSON numbers", async () => {
    upstream((sql) => {
      if (sql.includes("GROUP BY value")) {
        return Response.json({
          meta: [
            { name: "value", type: "String" },
            { name: "views", type: "UInt64" },
            { name: "visitors", type: "UInt64" },
            { name: "sample_max", type: "UInt32" },
          ],
          data: [{ value: "/twelve", views: "12", visitors: "3", sample_max: 1 }],
          rows: 1,
        });
      }
      return Response.json({
        meta: [
          { name: "pageviews", type: "UInt64" },
          { name: "events", type: "UInt64" },
          { name: "beacons", type: "UInt64" },
          { name: "duration_sum", type: "Float64" },
          { name: "visitors", type: "UInt64" },
          { name: "sample_max", type: "UInt32" },
        ],
        data: [{ pageviews: "12", events: "4", beacons: "2", duration_sum: 25, visitors: "3", sample_max: "1" }],
        rows: 1,
      });
    });
    const pagesReport = await getReport("pages", tenant, {}, fake);
    expect(pagesReport.status).toBe(200);
    expect(pagesReport.body.pages).toEqual([{ path: "/twelve", views: 12, visitors: 3 }]);
    expect(pagesReport.body.sampled).toBe(false);
    const overviewReport = await getReport("overview", tenant, {}, fake);
    expect(overviewReport.body.totals).toEqual({ visitors: 3, pageviews: 12, events: 4, avg_duration: 12.5 });
    expect(overviewReport.body.top_pages).toEqual([{ path: "/twelve", views: 12, visitors: 3 }]);
  });

  it.each([
    ["CF_API_TOKEN", { CF_API_TOKEN: "" }],
    ["ACCOUNT_ID", { ACCOUNT_ID: "" }],
  ])("a missing %s is a 503 naming the setting, and no query is sent", async (setting, overrides) => {
    upstream(() => Response.json({ meta: [], data: [] }));
    const response = await call(reportRequest("overview", tenant), { ...fake, ...overrides });
    expect(response.status).toBe(503);
    const body = await expectErrorShape(response);
    expect(body.error.message).toContain(setting);
    expect(seen).toHaveLength(0);
  });
});
