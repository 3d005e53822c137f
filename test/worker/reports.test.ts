/**
 * Reports against the real local Analytics Engine: a known set of events goes
 * in through POST /api/collect (the real write path), and every report must
 * answer the exact numbers api.md promises for it. Events in the past are
 * written straight into the engine, because collection always stamps "now".
 */
import { beforeAll, describe, expect, it } from "vitest";
import {
  BASE,
  CHROME_UA,
  REPORT_NAMES,
  browserEvent,
  call,
  engineEnv,
  getReport,
  ingestHistory,
  registerDomain,
  reportRequest,
  serverEvent,
  storedEvent,
  uniqueTenant,
} from "./helpers";

const IPHONE_UA =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
const IPAD_UA =
  "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
const FIREFOX_UA = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const ANDROID_UA =
  "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36";

const HOUR = 3_600_000;
const DAY = 86_400_000;
const plain = engineEnv("plain");

async function collect(request: Request): Promise<void> {
  const response = await call(request, plain);
  expect(response.status, await response.clone().text()).toBe(202);
}

/** Every count-like field anywhere in a report must be a JSON number, never a string. */
function expectNumbersAreNumbers(value: unknown, path = "body"): void {
  const numeric = new Set(["views", "visitors", "pageviews", "events", "avg_duration", "count", "days"]);
  if (Array.isArray(value)) value.forEach((item, i) => expectNumbersAreNumbers(item, `${path}[${i}]`));
  else if (value && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) {
      // `events` is a number in overview totals and a list in /api/events.
      if (numeric.has(key) && !Array.isArray(item)) expect(typeof item, `${path}.${key}`).toBe("number");
      expectNumbersAreNumbers(item, `${path}.${key}`);
    }
  }
}

/** A ranked list whose equal-count rows may come in any order: same rows, and counts never increase. */
function expectRanked<T extends Record<string, unknown>>(actual: T[], expected: T[], by: keyof T): void {
  const key = (row: T) => JSON.stringify(Object.keys(row).sort().map((k) => [k, row[k]]));
  expect(actual.map(key).sort()).toEqual(expected.map(key).sort());
  for (let i = 1; i < actual.length; i++) expect(actual[i - 1]![by] as number).toBeGreaterThanOrEqual(actual[i]![by] as number);
}

// ---------------------------------------------------------------------------
// The known set for tenant A. Five visitors (four browsers, one backend):
//   A desktop Chrome, MA/Casablanca    B mobile iPhone, MA/Rabat
//   C tablet iPad, FR/Paris            D desktop Firefox, FR (no city)
//   S server-to-server, Android phone, co=de ci=Berlin
// 21 pageviews, 4 beacons (30+10+50+22 s, mean 28), 7 custom events.
// ---------------------------------------------------------------------------
const tenant = uniqueTenant("reports");
// Starts with A's id: a tenant filter done with a prefix match would leak it.
const otherTenant = `${tenant}x`;

async function seedKnownSet(): Promise<void> {
  await registerDomain(tenant, "school.example");
  const browser = (ua: string, ip: string, cf: Record<string, unknown>) => (event: Record<string, unknown>) =>
    collect(browserEvent({ sid: tenant, ...event }, { ua, ip, cf }));
  const server = (event: Record<string, unknown>) =>
    collect(serverEvent({ tid: tenant, co: "de", ci: "Berlin", ...event }, { ua: ANDROID_UA, ip: "198.51.100.5" }));

  const a = browser(CHROME_UA, "203.0.113.1", { country: "MA", city: "Casablanca" });
  await a({ p: "/", r: "https://www.google.com/search?q=x", us: "google", um: "cpc", uc: "spring" });
  await a({ p: "/?utm_source=ignored", r: "https://school.example/pricing" }); // same site: no referrer
  await a({ p: "/pricing", r: "https://www.school.example/" }); // www. aside, same site
  await a({ p: "/docs?ref=1#/intro" }); // query dropped, hash route kept
  await a({ p: "/docs#/intro" });
  await a({ t: "beacon", p: "/docs#/intro", d: 30 });
  await a({ t: "event", p: "/pricing", en: "signup" });

  const b = browser(IPHONE_UA, "203.0.113.2", { country: "MA", city: "Rabat" });
  await b({ p: "/", r: "https://news.ycombinator.com/item?id=1", us: "hn" });
  await b({ p: "/pricing", r: "android-app://com.example.app/" }); // not http(s): no referrer
  await b({ p: "/pricing" });
  await b({ p: "/about#team" }); // plain fragment dropped
  await b({ p: "/contact", r: "https://news.ycombinator.com/x" });
  await b({ t: "beacon", p: "/", d: 10 });
  await b({ t: "event", p: "/", en: "signup" });
  await b({ t: "event", p: "/", en: "download" });

  const c = browser(IPAD_UA, "203.0.113.3", { country: "FR", city: "Paris" });
  await c({ p: "/", r: "https://www.google.com/", us: "google", um: "cpc", uc: "summer" });
  await c({ p: "/docs#/intro" });
  await c({ p: "/about" });
  await c({ t: "beacon", p: "/about", d: 50 });
  await c({ t: "event", p: "/about", en: "download", us: "event-only" }); // UTM on an event is not a pageview
  await c({ t: "event", p: "/about", en: "download" });
  await c({ t: "event", p: "/about", en: "download" });

  const d = browser(FIREFOX_UA, "203.0.113.4", { country: "FR" });
  await d({ p: "/", r: "https://duckduckgo.com/", um: "cpc" });
  await d({ p: "/docs#/intro", us: "newsletter" });
  await d({ p: "/about" });

  await server({ p: "/", r: "https://www.google.com/?q=server", us: "newsletter", um: "email", uc: "spring" });
  await server({ p: "/pricing", us: "newsletter" });
  await server({ p: "/pricing" });
  await server({ p: "/docs#!/setup" });
  await server({ p: "/docs#!/setup" });
  await server({ t: "beacon", p: "/pricing", d: 22 });
  await server({ t: "event", p: "/pricing", en: "signup" });

  // Tenant B: its own pages, names, referrers, UTM values and places, none of which A may see.
  const other = (event: Record<string, unknown>) =>
    collect(serverEvent({ tid: otherTenant, ...event }, { ua: CHROME_UA, ip: "198.51.100.99" }));
  await other({ p: "/b-only-page", r: "https://b-referrer.example/", us: "b-source", um: "b-medium", uc: "b-campaign", co: "BR", ci: "B-City" });
  await other({ p: "/b-only-page" });
  await other({ t: "beacon", p: "/b-only-page", d: 9000 });
  await other({ t: "event", p: "/b-only-page", en: "b-only-event" });
}

const TOP_PAGES = [
  { path: "/", views: 6, visitors: 5 },
  { path: "/pricing", views: 5, visitors: 3 },
  { path: "/docs#/intro", views: 4, visitors: 3 },
  { path: "/about", views: 3, visitors: 3 },
  { path: "/docs#!/setup", views: 2, visitors: 1 },
];
const ALL_PAGES = [...TOP_PAGES, { path: "/contact", views: 1, visitors: 1 }];

describe("reports over a known set of collected events", () => {
  beforeAll(seedKnownSet, 60_000);

  it("overview: totals and the top five pages", async () => {
    const { status, headers, body } = await getReport("overview", tenant);
    expect(status).toBe(200);
    expect(headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(body).toEqual({
      tenant_id: tenant,
      days: 30,
      sampled: false,
      totals: { visitors: 5, pageviews: 21, events: 7, avg_duration: 28 },
      top_pages: TOP_PAGES,
    });
    expectNumbersAreNumbers(body);
  });

  it("pages: every page by views, descending; limit cuts the list", async () => {
    const all = await getReport("pages", tenant);
    expect(all.status).toBe(200);
    expect(all.body).toEqual({ tenant_id: tenant, days: 30, sampled: false, pages: ALL_PAGES });
    expectNumbersAreNumbers(all.body);

    const two = await getReport("pages", tenant, { limit: 2 });
    expect(two.body.pages).toEqual(ALL_PAGES.slice(0, 2));
  });

  it("referrers: external domains only, and UTM values of pageviews without empty rows", async () => {
    const { status, body } = await getReport("referrers", tenant);
    expect(status).toBe(200);
    expect(body).toEqual({
      tenant_id: tenant,
      days: 30,
      sampled: false,
      referrers: [
        { domain: "www.google.com", views: 3, visitors: 3 },
        { domain: "news.ycombinator.com", views: 2, visitors: 1 },
        { domain: "duckduckgo.com", views: 1, visitors: 1 },
      ],
      utm: {
        sources: [
          { value: "newsletter", views: 3, visitors: 2 },
          { value: "google", views: 2, visitors: 2 },
          { value: "hn", views: 1, visitors: 1 },
        ],
        mediums: [
          { value: "cpc", views: 3, visitors: 3 },
          { value: "email", views: 1, visitors: 1 },
        ],
        campaigns: [
          { value: "spring", views: 2, visitors: 2 },
          { value: "summer", views: 1, visitors: 1 },
        ],
      },
    });
    expectNumbersAreNumbers(body);

    const one = await getReport("referrers", tenant, { limit: 1 });
    expect(one.body.referrers).toEqual([{ domain: "www.google.com", views: 3, visitors: 3 }]);
    expect(one.body.utm).toEqual({
      sources: [{ value: "newsletter", views: 3, visitors: 2 }],
      mediums: [{ value: "cpc", views: 3, visitors: 3 }],
      campaigns: [{ value: "spring", views: 2, visitors: 2 }],
    });
  });

  it("geo: countries from the edge and from co, cities with their country, no empty city", async () => {
    const { status, body } = await getReport("geo", tenant);
    expect(status).toBe(200);
    expect(body).toMatchObject({ tenant_id: tenant, days: 30, sampled: false });
    expect(body.countries).toEqual([
      { country: "MA", views: 10, visitors: 2 },
      { country: "FR", views: 6, visitors: 2 },
      { country: "DE", views: 5, visitors: 1 },
    ]);
    // Casablanca, Rabat and Berlin tie at 5 views; api.md fixes no order among equals.
    expectRanked(
      body.cities,
      [
        { country: "MA", city: "Casablanca", views: 5, visitors: 1 },
        { country: "MA", city: "Rabat", views: 5, visitors: 1 },
        { country: "DE", city: "Berlin", views: 5, visitors: 1 },
        { country: "FR", city: "Paris", views: 3, visitors: 1 },
      ],
      "views",
    );
    expectNumbersAreNumbers(body);
  });

  it("devices: desktop, mobile and tablet from real user agents (server events use the forwarded one)", async () => {
    const { status, body } = await getReport("devices", tenant);
    expect(status).toBe(200);
    expect(body).toEqual({
      tenant_id: tenant,
      days: 30,
      sampled: false,
      devices: [
        { device: "mobile", views: 10, visitors: 2 },
        { device: "desktop", views: 8, visitors: 2 },
        { device: "tablet", views: 3, visitors: 1 },
      ],
    });
  });

  it("events: custom events by count, with distinct visitors; limit cuts the list", async () => {
    const { status, body } = await getReport("events", tenant);
    expect(status).toBe(200);
    expect(body).toEqual({
      tenant_id: tenant,
      days: 30,
      sampled: false,
      events: [
        { name: "download", count: 4, visitors: 2 },
        { name: "signup", count: 3, visitors: 3 },
      ],
    });
    expectNumbersAreNumbers(body);
    const one = await getReport("events", tenant, { limit: 1 });
    expect(one.body.events).toEqual([{ name: "download", count: 4, visitors: 2 }]);
  });

  it("realtime: everything collected just now is inside the last 30 minutes", async () => {
    const { status, body } = await getReport("realtime", tenant);
    expect(status).toBe(200);
    expect(body).toMatchObject({ tenant_id: tenant, sampled: false, visitors: 5, pageviews: 21 });
    expectRanked(body.pages, ALL_PAGES.map(({ path, visitors }) => ({ path, visitors })), "visitors");
    expectNumbersAreNumbers(body);
  });

  it("timeseries: today's buckets hold all of today's pageviews, matching the overview", async () => {
    const [days, hours, overview] = await Promise.all([
      getReport("timeseries", tenant, { interval: "day" }),
      getReport("timeseries", tenant, { interval: "hour", days: 1 }),
      getReport("overview", tenant, { days: 1 }),
    ]);
    const sum = (series: { pageviews: number }[]) => series.reduce((n, b) => n + b.pageviews, 0);
    expect(days.body.sampled).toBe(false);
    expect(sum(days.body.series)).toBe(21);
    expect(sum(hours.body.series)).toBe(overview.body.totals.pageviews);
    expect(overview.body.totals.pageviews).toBe(21);
  });

  it("tenant isolation: another tenant's rows never appear, and its own reports hold only its rows", async () => {
    const leaks = ["b-only", "b-referrer", "b-source", "b-medium", "b-campaign", "B-City", "\"BR\""];
    for (const name of REPORT_NAMES) {
      const { status, body } = await getReport(name, tenant);
      expect(status, name).toBe(200);
      const text = JSON.stringify(body);
      for (const leak of leaks) expect(text, `${name} shows ${leak}`).not.toContain(leak);
    }
    const other = await getReport("overview", otherTenant);
    expect(other.body.totals).toEqual({ visitors: 1, pageviews: 2, events: 1, avg_duration: 9000 });
    expect(other.body.top_pages).toEqual([{ path: "/b-only-page", views: 2, visitors: 1 }]);
  });
});

// ---------------------------------------------------------------------------
// History: points written into the engine at known past times.
// ---------------------------------------------------------------------------
describe("time windows", () => {
  const history = uniqueTenant("reports-history");
  const realtimeTenant = uniqueTenant("reports-realtime");
  let now = 0;
  // Everything tenant `history` holds: when, by whom, what.
  const rows: { at: number; visitor: string; type: "pageview" | "event"; path: string }[] = [];

  beforeAll(async () => {
    now = Date.now();
    const past: typeof rows = [
      { at: now - 60 * DAY, visitor: "v60", type: "pageview", path: "/sixty-days" },
      { at: now - 10 * DAY, visitor: "v10", type: "pageview", path: "/ten-days" },
      { at: now - 3 * DAY, visitor: "v3a", type: "pageview", path: "/three-days" },
      { at: now - 3 * DAY + 60_000, visitor: "v3b", type: "pageview", path: "/three-days" },
      { at: now - 3 * DAY + 120_000, visitor: "v3a", type: "pageview", path: "/three-days" },
      { at: now - 26 * HOUR, visitor: "v26", type: "pageview", path: "/yesterday" },
      { at: now - 5 * HOUR, visitor: "v5", type: "pageview", path: "/five-hours" },
      { at: now - 5 * HOUR + 1000, visitor: "v5", type: "pageview", path: "/five-hours" },
      // An event is a visitor but not a pageview.
      { at: now - 5 * HOUR + 2000, visitor: "v5e", type: "event", path: "/five-hours" },
    ];
    await ingestHistory(
      "plain",
      past.map(({ at, visitor, type, path }) => ({
        at,
        event: storedEvent({ tenantId: history, type, path, visitor, eventName: type === "event" ? "clicked" : "" }),
      })),
    );
    rows.push(...past);
    // Three pageviews by two visitors, through the real collect path.
    const collectedAt = Date.now();
    await collect(serverEvent({ tid: history, p: "/now" }, { ip: "198.51.100.31" }));
    await collect(serverEvent({ tid: history, p: "/now" }, { ip: "198.51.100.31" }));
    await collect(serverEvent({ tid: history, p: "/now" }, { ip: "198.51.100.32" }));
    rows.push(
      { at: collectedAt, visitor: "now-1", type: "pageview", path: "/now" },
      { at: collectedAt, visitor: "now-1", type: "pageview", path: "/now" },
      { at: collectedAt, visitor: "now-2", type: "pageview", path: "/now" },
    );

    // Realtime: two pageviews now, one 20 minutes ago (inside), one 2 hours ago (outside).
    await collect(serverEvent({ tid: realtimeTenant, p: "/live-a" }, { ip: "198.51.100.41" }));
    await collect(serverEvent({ tid: realtimeTenant, p: "/live-b" }, { ip: "198.51.100.42" }));
    await ingestHistory("plain", [
      { at: Date.now() - 20 * 60_000, event: storedEvent({ tenantId: realtimeTenant, path: "/twenty-minutes-ago", visitor: "recent" }) },
      { at: Date.now() - 2 * HOUR, event: storedEvent({ tenantId: realtimeTenant, path: "/two-hours-ago", visitor: "old" }) },
    ]);
  }, 60_000);

  /** What the fixture says a window of `days` holds (strictly newer than now - days, as api.md's rolling window). */
  function truth(days: number) {
    const inside = rows.filter((r) => r.at > now - days * DAY);
    const pageviews = inside.filter((r) => r.type === "pageview");
    return { pageviews: pageviews.length, visitors: new Set(inside.map((r) => r.visitor)).size, events: inside.length - pageviews.length, paths: new Set(pageviews.map((r) => r.path)) };
  }

  it("days: an event 10 days old counts with days=30 and not with days=7; 60 days old only with days=90", async () => {
    for (const days of [1, 7, 30, 90]) {
      const { status, body } = await getReport("overview", history, { days });
      expect(status).toBe(200);
      expect(body.days).toBe(days);
      const expected = truth(days);
      expect(body.totals, `days=${days}`).toEqual({ visitors: expected.visitors, pageviews: expected.pageviews, events: expected.events, avg_duration: 0 });
    }
    // Spelled out, so the fixture arithmetic above cannot hide a mistake.
    expect(truth(7).pageviews).toBe(9);
    expect(truth(30).pageviews).toBe(10);
    expect(truth(90).pageviews).toBe(11);

    const pages7 = await getReport("pages", history, { days: 7 });
    const pages30 = await getReport("pages", history, { days: 30 });
    const pages90 = await getReport("pages", history, { days: 90 });
    const paths = (body: { pages: { path: string }[] }) => body.pages.map((p) => p.path);
    expect(paths(pages7.body)).not.toContain("/ten-days");
    expect(paths(pages30.body)).toContain("/ten-days");
    expect(paths(pages30.body)).not.toContain("/sixty-days");
    expect(paths(pages90.body)).toContain("/sixty-days");
    expect(pages30.body.pages).toContainEqual({ path: "/three-days", views: 3, visitors: 2 });
  });

  for (const [interval, days] of [["day", 30], ["day", 7], ["hour", 1], ["hour", 3], ["day", 90]] as const) {
    it(`timeseries interval=${interval} days=${days}: every bucket, zero-filled, UTC starts, counts in the right bucket`, async () => {
      const step = interval === "day" ? DAY : HOUR;
      const { status, headers, body } = await getReport("timeseries", history, { interval, days });
      expect(status).toBe(200);
      expect(headers.get("content-type")).toBe("application/json; charset=utf-8");
      expect(body).toMatchObject({ tenant_id: history, days, sampled: false, interval });
      expectNumbersAreNumbers(body);
      const series: { t: string; visitors: number; pageviews: number }[] = body.series;

      // Buckets: consecutive UTC starts from the one holding (now - days) to the one holding now.
      const reportedAt = Date.now();
      const firstStart = Math.floor((now - days * DAY) / step) * step;
      expect(series.length).toBe((days * DAY) / step + 1);
      series.forEach((bucket, i) => {
        expect(bucket.t).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:00:00(\.000)?Z$/);
        const start = Date.parse(bucket.t);
        expect(new Date(start).toISOString()).toBe(bucket.t.length === 20 ? bucket.t.replace("Z", ".000Z") : bucket.t);
        if (i > 0) expect(start - Date.parse(series[i - 1]!.t)).toBe(step);
        if (interval === "day") expect(new Date(start).getUTCHours()).toBe(0);
        expect(new Date(start).getUTCMinutes()).toBe(0);
      });
      expect(Date.parse(series[0]!.t)).toBe(firstStart);
      expect(Date.parse(series.at(-1)!.t)).toBe(Math.floor(reportedAt / step) * step);

      // Counts: each bucket holds exactly the fixture rows that fall in it.
      const expected = new Map<number, { pageviews: number; visitors: Set<string> }>();
      for (const row of rows.filter((r) => r.at > now - days * DAY)) {
        const start = Math.floor(row.at / step) * step;
        const bucket = expected.get(start) ?? { pageviews: 0, visitors: new Set<string>() };
        if (row.type === "pageview") bucket.pageviews++;
        bucket.visitors.add(row.visitor);
        expected.set(start, bucket);
      }
      for (const bucket of series) {
        const want = expected.get(Date.parse(bucket.t));
        expect({ t: bucket.t, pageviews: bucket.pageviews, visitors: bucket.visitors }).toEqual({
          t: bucket.t,
          pageviews: want?.pageviews ?? 0,
          visitors: want?.visitors.size ?? 0,
        });
      }
      const zeros = series.filter((b) => !expected.has(Date.parse(b.t)));
      expect(zeros.length).toBeGreaterThan(0);

      // The series adds up to the overview for the same window.
      const overview = await getReport("overview", history, { days });
      const total = series.reduce((n, b) => n + b.pageviews, 0);
      expect(total).toBe(overview.body.totals.pageviews);
      expect(total).toBe(truth(days).pageviews);
    });
  }

  it("timeseries defaults to interval=day over 30 days", async () => {
    const { status, body } = await getReport("timeseries", history);
    expect(status).toBe(200);
    expect(body.interval).toBe("day");
    expect(body.days).toBe(30);
    expect(body.series).toHaveLength(31);
  });

  it("realtime: the last 30 minutes only; a pageview from 2 hours ago is stored but left out", async () => {
    const { status, body } = await getReport("realtime", realtimeTenant);
    expect(status).toBe(200);
    expect(body).toMatchObject({ tenant_id: realtimeTenant, sampled: false, visitors: 3, pageviews: 3 });
    expectRanked(
      body.pages,
      [
        { path: "/live-a", visitors: 1 },
        { path: "/live-b", visitors: 1 },
        { path: "/twenty-minutes-ago", visitors: 1 },
      ],
      "visitors",
    );
    expect(JSON.stringify(body)).not.toContain("two-hours-ago");
    // The old pageview is there for a wider window: its absence above is the window's doing.
    const day = await getReport("overview", realtimeTenant, { days: 1 });
    expect(day.body.totals).toMatchObject({ pageviews: 4, visitors: 4 });
  });
});

// ---------------------------------------------------------------------------
// Parameters: strict, 400 naming the parameter, never clamped.
// ---------------------------------------------------------------------------
describe("report parameters", () => {
  const quiet = uniqueTenant("reports-params");

  async function expectBadRequest(request: Request, field: string) {
    const response = await call(request);
    expect(response.status, request.url).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toMatch(/^[a-z]+(_[a-z]+)*$/);
    expect(body.error.message).toContain(field);
  }

  for (const name of REPORT_NAMES) {
    if (name !== "realtime") {
      it.each(["0", "91", "1.5", "abc", "-1", "", "1e1", " 7"])(`${name}: days=%j is a 400`, async (days) => {
        await expectBadRequest(reportRequest(name, quiet, { days }), "days");
      });
    }

    it.each([
      ["missing", null],
      ["empty", ""],
      ["with a space", "a b"],
      ["with a quote", "x'--"],
      ["65 characters", "a".repeat(65)],
      ["starting with -", "-abc"],
    ])(`${name}: tenant_id %s is a 400`, async (_, tenantId) => {
      await expectBadRequest(reportRequest(name, tenantId), "tenant_id");
    });
  }

  it.each(["pages", "referrers", "events"])("%s: limit 0, 101, 2.5 and abc are 400; 1 and 100 are fine", async (name) => {
    for (const limit of ["0", "101", "2.5", "abc", "-3"]) await expectBadRequest(reportRequest(name, quiet, { limit }), "limit");
    for (const limit of [1, 100]) {
      const response = await call(reportRequest(name, quiet, { limit }));
      expect(response.status).toBe(200);
    }
  });

  it("timeseries: interval=week is a 400; hour and day are fine", async () => {
    await expectBadRequest(reportRequest("timeseries", quiet, { interval: "week" }), "interval");
    await expectBadRequest(reportRequest("timeseries", quiet, { interval: "DAY" }), "interval");
    for (const interval of ["hour", "day"]) expect((await call(reportRequest("timeseries", quiet, { interval, days: 1 }))).status).toBe(200);
  });

  it("days=1 and days=90 are the inclusive bounds", async () => {
    for (const days of [1, 90]) {
      const { status, body } = await getReport("overview", quiet, { days });
      expect(status).toBe(200);
      expect(body.days).toBe(days);
    }
  });

  it("a tenant with no data answers zeros and empty lists, not an error", async () => {
    const overview = await getReport("overview", quiet);
    expect(overview.body).toEqual({
      tenant_id: quiet,
      days: 30,
      sampled: false,
      totals: { visitors: 0, pageviews: 0, events: 0, avg_duration: 0 },
      top_pages: [],
    });
    const realtime = await getReport("realtime", quiet);
    expect(realtime.body).toMatchObject({ visitors: 0, pageviews: 0, pages: [] });
  });

  it("a report answers only GET", async () => {
    const response = await call(new Request(`${BASE}/api/pages?tenant_id=${quiet}`, { method: "POST", headers: { authorization: "Bearer test-admin-token" } }));
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toContain("GET");
  });
});
