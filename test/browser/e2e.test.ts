// End to end: a tenant page in Chromium loads the tracker from the running
// Worker (wrangler dev + the local Analytics Engine, started exactly as
// `bun run dev` starts them), and the reports then show exactly what the
// visitor did. A transparent recorder sits in front of the Worker so the
// test sees every request that reaches it (the Worker builds the collect URL
// from the Host header, so the tracker it serves posts through the recorder).

import { mkdtempSync, rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  DESKTOP_USER_AGENT,
  type LocalServer,
  type WatchedPage,
  describeInChromium,
  launchChromium,
  openPage,
  setPageHidden,
  sleep,
  startPageServer,
  startServer,
  storageSnapshot,
  waitFor,
} from "./helpers";

const ADMIN = { Authorization: "Bearer dev-admin-token" };
const TENANT = "school-e2e";

interface Reached {
  method: string;
  path: string;
  status: number;
  contentType?: string;
  setCookie?: string[];
}

interface Stack {
  workerUrl: string;
  stop(): Promise<void>;
}

/** Forwards everything to the Worker unchanged (Host included) and records what passed. */
function startRecorder(workerUrl: string, reached: Reached[]): Promise<LocalServer> {
  const worker = new URL(workerUrl);
  return startServer((req, res, body) => {
    const upstream = httpRequest(
      { host: worker.hostname, port: worker.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        reached.push({
          method: req.method ?? "",
          path: req.url ?? "",
          status: answer.statusCode ?? 0,
          contentType: req.headers["content-type"],
          setCookie: answer.headers["set-cookie"],
        });
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => res.writeHead(502).end());
    upstream.end(body);
  }, "127.0.0.1");
}

describeInChromium("tracker end to end, through the Worker and the local Analytics Engine", () => {
  let dataDir: string;
  let stack: Stack;
  let browser: Browser;
  let recorder: LocalServer;
  let listedSite: LocalServer; // http://localhost:… is on the tenant's allowlist
  let unlistedSite: LocalServer; // http://127.0.0.1:… is not
  const reached: Reached[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), "manhali-e2e-"));
    const { startStack } = await import("../../scripts/stack.mjs");
    [stack, browser] = await Promise.all([startStack({ dataDir, quiet: true }), launchChromium()]);
    recorder = await startRecorder(stack.workerUrl, reached);
    const trackerSrc = `${recorder.origin}/tracker.js?sid=${TENANT}`;
    listedSite = await startPageServer({ trackerSrc }, "localhost");
    unlistedSite = await startPageServer({ trackerSrc }, "127.0.0.1");

    const added = await fetch(`${stack.workerUrl}/api/admin/domains?tenant_id=${TENANT}`, {
      method: "POST",
      headers: { ...ADMIN, "Content-Type": "application/json" },
      body: JSON.stringify({ domain: "localhost" }),
    });
    expect(added.status, await added.clone().text()).toBe(201);
    expect((await added.json()).domains).toEqual(["localhost"]);
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all([recorder?.close(), listedSite?.close(), unlistedSite?.close()]);
    await stack?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  async function report(name: string, days = 1): Promise<any> {
    const response = await fetch(`${stack.workerUrl}/api/${name}?tenant_id=${TENANT}&days=${days}`, { headers: ADMIN });
    expect(response.status, `/api/${name}`).toBe(200);
    return response.json();
  }

  const collects = () => reached.filter((r) => r.path.startsWith("/api/collect"));

  // Filled in by the first test, checked against the reports by the last.
  let durations: number[] = [];

  it("records a visit from a page on the allowlist: landing, SPA, hash route, events, manual pageview, beacons", async () => {
    const visit: WatchedPage = await openPage(browser, { userAgent: DESKTOP_USER_AGENT });
    const { page } = visit;
    await page.goto(`${listedSite.origin}/landing?utm_source=newsletter&utm_medium=email&utm_campaign=spring`, {
      referer: "https://news.example.org/story/1",
    });
    await waitFor(collects, (c) => c.length === 1);
    await sleep(1100);
    await page.evaluate(() => {
      history.pushState({}, "", "/courses");
      history.pushState({}, "", "/courses/42");
      history.pushState({}, "", "/checkout");
    });
    await page.evaluate(() => (location.hash = "#/step/2"));
    await waitFor(collects, (c) => c.length === 9);
    await page.evaluate(() => {
      (window as any).manhali.track("signup");
      (window as any).manhali.track("signup");
      (window as any).manhali.pageview();
    });
    await setPageHidden(page, true); // the visitor switches tab: the last beacon
    // 6 pageviews, 6 beacons, 2 events.
    await waitFor(collects, (c) => c.length === 14);

    expect(collects().map((r) => `${r.method} ${r.status} ${r.contentType}`)).toEqual(
      Array(14).fill("POST 202 text/plain;charset=UTF-8"),
    );
    const sent = await visit.sent();
    durations = sent.filter((e) => e.t === "beacon").map((e) => e.d as number);
    expect(durations).toHaveLength(6);
    expect(durations[0]).toBeGreaterThanOrEqual(1); // the landing page was visible for 1.1 s
    expect(durations[0]).toBeLessThanOrEqual(3);

    expect(await storageSnapshot(page)).toEqual({ cookie: "", local: 0, session: 0, databases: 0 });
    expect(await visit.context.cookies()).toEqual([]);
    expect(await visit.errors()).toEqual([]);
    expect(visit.pageErrors).toEqual([]);
    await visit.context.close();
  });

  it("records nothing from a page whose origin is not on the tenant's allowlist", async () => {
    const before = collects().length;
    const visit = await openPage(browser, { userAgent: DESKTOP_USER_AGENT });
    await visit.page.goto(`${unlistedSite.origin}/landing?utm_source=elsewhere`);
    await visit.page.evaluate(() => (window as any).manhali.track("signup"));
    const refused = await waitFor(
      () => collects().slice(before),
      (c) => c.length === 2,
    );
    expect(refused.map((r) => `${r.method} ${r.status}`)).toEqual(["POST 403", "POST 403"]);
    expect(visit.pageErrors).toEqual([]); // a refused event is not the page's problem either
    expect(await visit.errors()).toEqual([]);
    await visit.context.close();
  });

  it("never received a preflight, and never set a cookie", () => {
    expect(reached.filter((r) => r.method === "OPTIONS")).toEqual([]);
    expect(reached.filter((r) => r.setCookie !== undefined)).toEqual([]);
    expect(reached.filter((r) => r.path.startsWith("/tracker.js")).map((r) => r.status)).toContain(200);
  });

  it("shows exactly that visit in the reports", async () => {
    const expectedAvg = Math.round((durations.reduce((a, b) => a + b, 0) / durations.length) * 10) / 10;
    // Writes are acknowledged before the 202, but give the engine a moment anyway.
    const overview = await waitFor(
      () => report("overview"),
      (o) => o.totals?.pageviews >= 6,
    );
    expect(overview).toMatchObject({ tenant_id: TENANT, days: 1, sampled: false });
    expect(overview.totals).toEqual({ visitors: 1, pageviews: 6, events: 2, avg_duration: expectedAvg });
    expect(overview.top_pages[0]).toEqual({ path: "/checkout#/step/2", views: 2, visitors: 1 });
    expect(overview.top_pages).toHaveLength(5);

    const pages = await report("pages");
    const byPath = (a: { path: string }, b: { path: string }) => a.path.localeCompare(b.path);
    expect([...pages.pages].sort(byPath)).toEqual(
      [
        { path: "/checkout", views: 1, visitors: 1 },
        { path: "/checkout#/step/2", views: 2, visitors: 1 },
        { path: "/courses", views: 1, visitors: 1 },
        { path: "/courses/42", views: 1, visitors: 1 },
        { path: "/landing", views: 1, visitors: 1 },
      ].sort(byPath),
    );

    const events = await report("events");
    expect(events.events).toEqual([{ name: "signup", count: 2, visitors: 1 }]);

    const referrers = await report("referrers");
    expect(referrers.referrers).toEqual([{ domain: "news.example.org", views: 1, visitors: 1 }]);
    expect(referrers.utm).toEqual({
      sources: [{ value: "newsletter", views: 1, visitors: 1 }],
      mediums: [{ value: "email", views: 1, visitors: 1 }],
      campaigns: [{ value: "spring", views: 1, visitors: 1 }],
    });
  });
});
