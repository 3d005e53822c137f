/**
 * Reports over sampled data. The "sampled" engine keeps 1 point in 10 per
 * tenant index, stored with `_sample_interval = 10`, as Analytics Engine does
 * under load. Reports must say `sampled: true` and weight every count by
 * `_sample_interval`; distinct visitors can only be a lower bound.
 *
 * Sampling error, and why the main assertions are exact: the local engine's
 * rule is deterministic (see local/analytics-engine/README.md): per
 * (dataset, index1) it keeps the 1st, 11th, 21st… point written. A run of k
 * consecutive points of one kind (say, one page) therefore keeps either
 * ⌊k/10⌋ or ⌈k/10⌉ of them, so its weighted count is within 9 of k; a value
 * whose points form r separate runs is within 9·r of the truth, and a
 * tenant total (one run of n points) is exactly 10·⌈n/10⌉, in [n, n + 9].
 * When every run starts at a multiple of 10 in the tenant's write order and
 * its length is a multiple of 10, every weighted count is exact. The main
 * fixture below is laid out that way (batches are sent one after another,
 * and collect writes a batch's points in order), so it asserts equality; a
 * second fixture with unaligned runs checks the 9·r bound.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { call, engineEnv, getReport, REPORT_NAMES, serverEvent, uniqueTenant } from "./helpers";

const SAMPLE_EVERY = 10;
const sampled = engineEnv("sampled");
const plain = engineEnv("plain");
type Engine = "plain" | "sampled";
const overridesFor = (engine: Engine) => (engine === "plain" ? plain : sampled);

async function sendBatch(engine: Engine, events: Record<string, unknown>[], ip: string): Promise<void> {
  const response = await call(serverEvent(events, { ip }), overridesFor(engine));
  expect(response.status, await response.clone().text()).toBe(202);
}

const repeat = (n: number, event: Record<string, unknown>) => Array.from({ length: n }, () => ({ ...event }));

/**
 * 920 points in the tenant's write order (positions in brackets):
 *   /a  400 pageviews [0,400)   MA Rabat          visitors 1–4 (one per batch)
 *   /b  150 pageviews [400,550) FR Paris, ref.example referrer
 *   /c  100 pageviews [550,650) DE Berlin, utm_source news
 *   /d   50 pageviews [650,700) ES
 *   signup 100 events [700,800), click 50 events [800,850), 50 beacons of 20 s [850,900)
 *   /e   20 pageviews [900,920) in four batches of 5, each a different visitor
 * Every run starts at a multiple of 10 and has a length that is a multiple of 10.
 */
async function sendKnownSet(engine: Engine, tid: string): Promise<void> {
  const a = { tid, p: "/a", co: "MA", ci: "Rabat" };
  const b = { tid, p: "/b", co: "FR", ci: "Paris", r: "https://ref.example/page" };
  const c = { tid, p: "/c", co: "DE", ci: "Berlin", us: "news" };
  const d = { tid, p: "/d", co: "ES" };
  for (let i = 1; i <= 4; i++) await sendBatch(engine, repeat(100, a), `198.51.100.${i}`);
  await sendBatch(engine, repeat(100, b), "198.51.100.5");
  await sendBatch(engine, [...repeat(50, b), ...repeat(50, c)], "198.51.100.6");
  await sendBatch(engine, [...repeat(50, c), ...repeat(50, d)], "198.51.100.7");
  await sendBatch(engine, repeat(100, { tid, t: "event", p: "/a", en: "signup" }), "198.51.100.8");
  await sendBatch(engine, [...repeat(50, { tid, t: "event", p: "/b", en: "click" }), ...repeat(50, { tid, t: "beacon", p: "/a", d: 20 })], "198.51.100.9");
  // Four visitors on /e; sampling keeps positions 900 and 910, so only the 1st and 3rd survive.
  for (let i = 1; i <= 4; i++) await sendBatch(engine, repeat(5, { tid, p: "/e" }), `198.51.100.${10 + i}`);
}

/** The truth, as written (the unsampled engine must report exactly this). */
const TRUTH = {
  totals: { pageviews: 720, events: 150, avg_duration: 20, visitors: 13 },
  pageViews: { "/a": 400, "/b": 150, "/c": 100, "/d": 50, "/e": 20 } as Record<string, number>,
  pageVisitors: { "/a": 4, "/b": 2, "/c": 2, "/d": 1, "/e": 4 } as Record<string, number>,
  countries: [
    { country: "MA", views: 400 },
    { country: "FR", views: 150 },
    { country: "DE", views: 100 },
    { country: "ES", views: 50 },
  ],
  cities: [
    { country: "MA", city: "Rabat", views: 400 },
    { country: "FR", city: "Paris", views: 150 },
    { country: "DE", city: "Berlin", views: 100 },
  ],
  events: [
    { name: "signup", count: 100 },
    { name: "click", count: 50 },
  ],
};

const withoutVisitors = <T extends { visitors?: number }>(rows: T[]) => rows.map(({ visitors: _, ...rest }) => rest);

describe.each(["sampled", "plain"] as const)("the same 920 points in the %s engine", (engine) => {
  const tenant = uniqueTenant(`sampled-${engine}`);
  const isSampled = engine === "sampled";
  const env = overridesFor(engine);

  beforeAll(() => sendKnownSet(engine, tenant), 60_000);

  it(`every report says sampled: ${isSampled}`, async () => {
    for (const name of REPORT_NAMES) {
      const { status, body } = await getReport(name, tenant, {}, env);
      expect(status, name).toBe(200);
      expect(body.sampled, name).toBe(isSampled);
    }
  });

  it("overview: weighted pageviews, events and mean duration equal the truth; visitors never exceed it", async () => {
    const { body } = await getReport("overview", tenant, {}, env);
    const { visitors, ...weighted } = body.totals;
    expect(weighted).toEqual({ pageviews: 720, events: 150, avg_duration: 20 });
    if (isSampled) {
      expect(visitors).toBeLessThanOrEqual(TRUTH.totals.visitors);
      expect(visitors).toBeGreaterThan(0);
    } else {
      expect(visitors).toBe(TRUTH.totals.visitors);
    }
    expect(withoutVisitors(body.top_pages)).toEqual(Object.entries(TRUTH.pageViews).map(([path, views]) => ({ path, views })));
  });

  it("pages: weighted views per page equal the truth; visitors per page are a lower bound", async () => {
    const { body } = await getReport("pages", tenant, {}, env);
    expect(withoutVisitors(body.pages)).toEqual(Object.entries(TRUTH.pageViews).map(([path, views]) => ({ path, views })));
    for (const page of body.pages as { path: string; visitors: number }[]) {
      if (isSampled) expect(page.visitors, page.path).toBeLessThanOrEqual(TRUTH.pageVisitors[page.path]!);
      else expect(page.visitors, page.path).toBe(TRUTH.pageVisitors[page.path]);
    }
    const e = (body.pages as { path: string; visitors: number }[]).find((p) => p.path === "/e")!;
    // Under sampling two of /e's four visitors left no trace: a lower bound, visibly.
    if (isSampled) expect(e.visitors).toBeLessThan(4);
  });

  it("referrers, geo, devices and events: weighted counts equal the truth", async () => {
    const [referrers, geo, devices, events] = await Promise.all([
      getReport("referrers", tenant, {}, env),
      getReport("geo", tenant, {}, env),
      getReport("devices", tenant, {}, env),
      getReport("events", tenant, {}, env),
    ]);
    expect(withoutVisitors(referrers.body.referrers)).toEqual([{ domain: "ref.example", views: 150 }]);
    expect(withoutVisitors(referrers.body.utm.sources)).toEqual([{ value: "news", views: 100 }]);
    expect(withoutVisitors(geo.body.countries)).toEqual(TRUTH.countries);
    expect(withoutVisitors(geo.body.cities)).toEqual(TRUTH.cities);
    expect(withoutVisitors(devices.body.devices)).toEqual([{ device: "desktop", views: 720 }]);
    expect(withoutVisitors(events.body.events)).toEqual(TRUTH.events);
    for (const row of [...referrers.body.referrers, ...geo.body.countries, ...events.body.events] as { visitors: number }[]) {
      expect(typeof row.visitors).toBe("number");
      expect(row.visitors).toBeGreaterThan(0);
    }
  });

  it("realtime and timeseries: weighted pageviews equal the truth", async () => {
    const [realtime, days, hours] = await Promise.all([
      getReport("realtime", tenant, {}, env),
      getReport("timeseries", tenant, { interval: "day", days: 7 }, env),
      getReport("timeseries", tenant, { interval: "hour", days: 1 }, env),
    ]);
    expect(realtime.body.pageviews).toBe(720);
    const sum = (series: { pageviews: number }[]) => series.reduce((n, b) => n + b.pageviews, 0);
    expect(sum(days.body.series)).toBe(720);
    expect(sum(hours.body.series)).toBe(720);
    if (isSampled) expect(realtime.body.visitors).toBeLessThanOrEqual(TRUTH.totals.visitors);
    else expect(realtime.body.visitors).toBe(TRUTH.totals.visitors);
  });
});

describe("unaligned runs under sampling", () => {
  const tenant = uniqueTenant("sampled-unaligned");

  beforeAll(async () => {
    // Write order: 95 × /x [0,95), then 37 × /y [95,132): one run each, neither aligned.
    await sendBatch("sampled", [...repeat(95, { tid: tenant, p: "/x" }), ...repeat(5, { tid: tenant, p: "/y" })], "198.51.100.60");
    await sendBatch("sampled", repeat(32, { tid: tenant, p: "/y" }), "198.51.100.60");
  }, 60_000);

  it("each one-run count is within 9 of the truth, and the total is 10·⌈n/10⌉", async () => {
    const { body } = await getReport("pages", tenant, {}, sampled);
    expect(body.sampled).toBe(true);
    const views = Object.fromEntries((body.pages as { path: string; views: number }[]).map((p) => [p.path, p.views]));
    const truth = { "/x": 95, "/y": 37 };
    for (const [path, n] of Object.entries(truth)) {
      expect(Math.abs(views[path]! - n), path).toBeLessThanOrEqual(SAMPLE_EVERY - 1);
      expect(views[path]! % SAMPLE_EVERY, path).toBe(0);
    }
    // The deterministic rule pins them exactly: positions 0,10,…,90 (10 kept) and 100,…,130 (4 kept).
    expect(views).toEqual({ "/x": 100, "/y": 40 });

    const overview = await getReport("overview", tenant, {}, sampled);
    expect(overview.body.totals.pageviews).toBe(SAMPLE_EVERY * Math.ceil(132 / SAMPLE_EVERY));
  });
});
