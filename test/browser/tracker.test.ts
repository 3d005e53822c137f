// The tracker in real Chromium against a recording collector on another
// origin, as in production (tenant page on one site, Worker on another). This
// proves what goes over the wire, independently of the Worker.

import type { Browser } from "playwright-core";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import {
  type Collector,
  type LocalServer,
  type TestPage,
  type WatchedPage,
  QUEUE_SNIPPET,
  describeInChromium,
  launchChromium,
  openPage,
  setPageHidden,
  sleep,
  startCollector,
  startPageServer,
  storageSnapshot,
  waitFor,
} from "./helpers";

describeInChromium("tracker in Chromium, against a recording collector", () => {
  let browser: Browser;
  let collector: Collector;
  let pages: LocalServer;
  let pageSetup: TestPage;
  let siteId: string;
  let watched: WatchedPage | undefined;
  let siteCount = 0;

  beforeAll(async () => {
    [browser, collector] = await Promise.all([launchChromium(), startCollector("127.0.0.1")]);
    pages = await startPageServer(() => pageSetup, "localhost");
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all([collector?.close(), pages?.close()]);
  });

  // A fresh site id per test, so a late request of one test never counts in another.
  function newSite(setup: Omit<TestPage, "trackerSrc"> = {}): void {
    siteId = `site-${++siteCount}`;
    pageSetup = { trackerSrc: collector.trackerSrc(siteId), ...setup };
  }

  async function open(path: string, referer?: string): Promise<WatchedPage> {
    watched = await openPage(browser);
    await watched.page.goto(pages.origin + path, referer ? { referer } : {});
    await received((events) => events.length >= 1);
    return watched;
  }

  function siteRequests() {
    return collector.requests.filter((r) => r.method !== "POST" || r.event?.sid === siteId || r.event === undefined);
  }

  function events() {
    return collector.events().filter((e) => e.sid === siteId);
  }

  function pageviews() {
    return events()
      .filter((e) => e.t === "pageview")
      .map((e) => e.p);
  }

  function beacons() {
    return events().filter((e) => e.t === "beacon");
  }

  function received(done: (events: Record<string, unknown>[]) => boolean) {
    return waitFor(events, done);
  }

  /** Waits until nothing new has arrived for a while, then returns the events. */
  async function settled() {
    let count = -1;
    while (count !== events().length) {
      count = events().length;
      await sleep(400);
    }
    return events();
  }

  afterEach(async () => {
    // Whatever the test did, no preflight ever reached the collector...
    expect(collector.requests.filter((r) => r.method === "OPTIONS")).toEqual([]);
    // ...and the tracker threw nothing into the page.
    if (watched) {
      expect(watched.pageErrors).toEqual([]);
      if (!watched.page.isClosed()) expect(await watched.errors()).toEqual([]);
      await watched.context.close();
    }
    watched = undefined;
  });

  it("sends the landing pageview as one cross-origin text/plain POST, with no preflight and no cookie", async () => {
    newSite();
    const { page } = await open("/pricing", "https://news.example.org/story?id=7");
    await settled();

    expect(events()).toEqual([{ t: "pageview", p: "/pricing", r: "https://news.example.org/story?id=7", sid: siteId }]);
    const requests = siteRequests();
    expect(requests.map((r) => r.method)).toEqual(["POST"]);
    expect(requests[0]!.headers["content-type"]).toBe("text/plain;charset=UTF-8");
    expect(requests[0]!.headers.origin).toBe(pages.origin);
    expect(requests[0]!.headers.cookie).toBeUndefined();
    expect(collector.requests.filter((r) => r.method === "OPTIONS")).toEqual([]);
    expect(await page.evaluate(() => typeof (window as any).manhali.track)).toBe("function");
  });

  it("counts three SPA navigations as three pageviews, and a route that did not change as none", async () => {
    newSite();
    const { page } = await open("/app");
    await page.evaluate(() => {
      history.pushState({}, "", "/app/courses");
      history.pushState({}, "", "/app/courses/42");
      history.pushState({}, "", "/app/checkout");
      // Same route again: a query-string change, a replaceState, a pushState to itself.
      history.pushState({}, "", "/app/checkout?step=2");
      history.replaceState({ step: 2 }, "");
      history.pushState({}, "", "/app/checkout");
    });
    await settled();

    expect(pageviews()).toEqual(["/app", "/app/courses", "/app/courses/42", "/app/checkout"]);
    // Each page that ended got its beacon, for its own path, before the next pageview.
    expect(beacons().map((b) => b.p)).toEqual(["/app", "/app/courses", "/app/courses/42"]);
    const order = (await watched!.sent()).map((e) => `${e.t} ${e.p}`);
    expect(order).toEqual([
      "pageview /app",
      "beacon /app",
      "pageview /app/courses",
      "beacon /app/courses",
      "pageview /app/courses/42",
      "beacon /app/courses/42",
      "pageview /app/checkout",
    ]);
    // Only the landing pageview carries a referrer; SPA pageviews come from this site.
    expect(events().filter((e) => "r" in e)).toEqual([]);
  });

  it("counts replaceState to a new route, and back/forward navigation (popstate)", async () => {
    newSite();
    const { page } = await open("/a");
    await page.evaluate(() => history.pushState({}, "", "/b"));
    await received((e) => e.filter((x) => x.t === "pageview").length === 2);
    await page.evaluate(() => history.replaceState({}, "", "/c"));
    await received((e) => e.filter((x) => x.t === "pageview").length === 3);
    await page.goBack(); // from /c (which replaced /b) back to /a: a popstate
    await settled();
    expect(pageviews()).toEqual(["/a", "/b", "/c", "/a"]);
  });

  it("counts a change of route fragment (#/… or #!/…) as a pageview, once, and ignores anchor jumps", async () => {
    newSite();
    const { page } = await open("/docs");
    await page.click("#anchor"); // #section: an anchor on the same page
    await sleep(300);
    await page.evaluate(() => (location.hash = "#/settings")); // fires both popstate and hashchange
    await received((e) => e.length >= 3);
    await page.evaluate(() => (location.hash = "#!/billing"));
    await received((e) => e.length >= 5);
    await page.evaluate(() => history.pushState({}, "", "#/profile")); // pushState fires no hashchange
    await settled();

    expect(pageviews()).toEqual(["/docs", "/docs#/settings", "/docs#!/billing", "/docs#/profile"]);
  });

  it("sends UTM source, medium and campaign from the page URL on the pageview, and only the path", async () => {
    newSite();
    const { page } = await open("/landing?utm_source=newsletter&utm_medium=email&utm_campaign=spring%20sale&ref=x");
    await page.evaluate(() => history.pushState({}, "", "/next"));
    await settled();

    const views = events().filter((e) => e.t === "pageview");
    expect(views).toEqual([
      { t: "pageview", p: "/landing", us: "newsletter", um: "email", uc: "spring sale", sid: siteId },
      { t: "pageview", p: "/next", sid: siteId },
    ]);
  });

  it("sends custom events and manual pageviews through window.manhali", async () => {
    newSite();
    const { page } = await open("/course/intro");
    await page.evaluate(() => {
      (window as any).manhali.track("enrol_click");
      (window as any).manhali.pageview(); // same route, but asked for: it counts
    });
    await settled();

    expect(events().filter((e) => e.t !== "beacon")).toEqual([
      { t: "pageview", p: "/course/intro", sid: siteId },
      { t: "event", en: "enrol_click", p: "/course/intro", sid: siteId },
      { t: "pageview", p: "/course/intro", sid: siteId },
    ]);
    // The manual pageview ended the landing one.
    expect(beacons().map((b) => b.p)).toEqual(["/course/intro"]);
  });

  it("replays calls made through the two-line snippet before the script loaded", async () => {
    newSite({
      before: `${QUEUE_SNIPPET}\n<script>manhali.track("early_signup"); manhali.pageview();</script>`,
    });
    const { page } = await open("/welcome");
    await settled();

    expect((await watched!.sent()).map((e) => `${e.t} ${e.en ?? e.p}`)).toEqual([
      "pageview /welcome",
      "event early_signup",
      "beacon /welcome",
      "pageview /welcome",
    ]);
    // The queue object was replaced by the real API.
    expect(await page.evaluate(() => "q" in (window as any).manhali)).toBe(false);
  });

  it("sends one beacon with the seconds the page was visible when it is hidden, and not again", async () => {
    newSite();
    const { page } = await open("/article");
    await sleep(1600);
    await setPageHidden(page, true);
    await received((e) => e.some((x) => x.t === "beacon"));
    await sleep(500); // hidden time is not visible time
    await setPageHidden(page, false);
    await sleep(300);
    await setPageHidden(page, true); // hidden again: this pageview's beacon is already sent
    await settled();

    const sent = beacons();
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ t: "beacon", p: "/article", sid: siteId });
    expect(sent[0]!.d).toBeGreaterThanOrEqual(1);
    expect(sent[0]!.d).toBeLessThanOrEqual(3);
    expect(Number.isInteger(sent[0]!.d)).toBe(true);
  });

  it("sends the beacon when the page is left for another, once, with a plausible duration", async () => {
    newSite();
    const { page } = await open("/lesson/1");
    await sleep(1200);
    await page.goto("about:blank"); // pagehide, then visibilitychange: one beacon
    const sent = (await settled()).filter((e) => e.t === "beacon");
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ p: "/lesson/1" });
    expect(sent[0]!.d).toBeGreaterThanOrEqual(1);
    expect(sent[0]!.d).toBeLessThanOrEqual(3);
  });

  it("sends the beacon when the tab is closed (keepalive outlives the page)", async () => {
    newSite();
    const { page } = await open("/lesson/2");
    await page.evaluate(() => history.pushState({}, "", "/lesson/3"));
    await received((e) => e.filter((x) => x.t === "pageview").length === 2);
    await sleep(1100);
    const closed = page.waitForEvent("close");
    await page.close({ runBeforeUnload: true }); // returns before the page is gone
    await closed;
    const sent = await waitFor(beacons, (b) => b.length === 2);
    expect(sent.map((b) => b.p)).toEqual(["/lesson/2", "/lesson/3"]);
    expect(sent[1]!.d).toBeGreaterThanOrEqual(1);
    expect(sent[1]!.d).toBeLessThanOrEqual(3);
  });

  it("leaves no cookie, no web storage and no database behind, and sends none", async () => {
    newSite();
    const { page, context } = await open("/private?utm_source=x");
    await page.evaluate(() => {
      history.pushState({}, "", "/private/2");
      (window as any).manhali.track("read");
    });
    await setPageHidden(page, true);
    await settled();

    expect(await storageSnapshot(page)).toEqual({ cookie: "", local: 0, session: 0, databases: 0 });
    expect(await context.cookies()).toEqual([]);
    expect((await context.storageState()).origins).toEqual([]);
    expect(siteRequests().every((r) => r.headers.cookie === undefined)).toBe(true);
    // Nothing that could tell this visitor apart travels in any event.
    expect(new Set(events().flatMap((e) => Object.keys(e)))).toEqual(
      new Set(["t", "p", "sid", "us", "d", "en"]),
    );
  });

  it("keeps tracking when the host page's own scripts throw", async () => {
    newSite({
      before: `<script>throw new Error("host bug before the tracker")</script>`,
      after: `<script>document.addEventListener("DOMContentLoaded", function () { null.boom(); });
document.addEventListener("click", function () { throw new Error("host click handler bug"); });</script>`,
    });
    watched = await openPage(browser);
    const { page } = watched;
    await page.goto(`${pages.origin}/broken`);
    await received((e) => e.length >= 1);
    await page.click("h1");
    await page.evaluate(() => history.pushState({}, "", "/broken/next"));
    await page.evaluate(() => (window as any).manhali.track("still_here"));
    await settled();

    expect(pageviews()).toEqual(["/broken", "/broken/next"]);
    expect(events().some((e) => e.en === "still_here")).toBe(true);
    // The only errors in the page are the host's own three.
    expect(watched.pageErrors).toHaveLength(3);
    expect(watched.pageErrors.every((m) => /host|null/.test(m))).toBe(true);
    watched.pageErrors.length = 0;
    const seen = await watched.errors();
    expect(seen).toHaveLength(3);
    await page.evaluate(() => ((window as any).__errors.length = 0));
  });

  it("throws nothing into the page on hostile calls or a failing collector, and never retries", async () => {
    newSite();
    const { page } = await open("/hostile");
    collector.respondWith({ status: 500, cors: false }); // fetch rejects: CORS blocks the answer
    try {
      const results = await page.evaluate(() => {
        const m = (window as any).manhali;
        const outcomes: string[] = [];
        for (const call of [
          () => m.track("after_failure"),
          () => m.track(BigInt(10)), // JSON.stringify throws on a BigInt
          () => m.track({ toJSON: () => { throw new Error("hostile"); } }),
          () => m.pageview("/ignored-argument"),
        ]) {
          try {
            call();
            outcomes.push("ok");
          } catch (e) {
            outcomes.push(String(e));
          }
        }
        return outcomes;
      });
      expect(results).toEqual(["ok", "ok", "ok", "ok"]);
      await sleep(1500);
      await settled();
      // One request per event that could be encoded, even though every one failed.
      expect(events().map((e) => `${e.t} ${e.en ?? e.p}`)).toEqual([
        "pageview /hostile",
        "event after_failure",
        "beacon /hostile",
        "pageview /hostile",
      ]);
    } finally {
      collector.respondWith({ status: 202, cors: true });
    }
  });

  it("counts once when the script is included twice", async () => {
    newSite();
    pageSetup.after = `<script defer src="${pageSetup.trackerSrc}"></script>`;
    const { page } = await open("/twice");
    await page.evaluate(() => history.pushState({}, "", "/twice/2"));
    await settled();
    expect(pageviews()).toEqual(["/twice", "/twice/2"]);
  });
});

describeInChromium("tracker in Chromium with the back/forward cache on", () => {
  let browser: Browser;
  let collector: Collector;
  let pages: LocalServer;

  beforeAll(async () => {
    collector = await startCollector("127.0.0.1");
    pages = await startPageServer({ trackerSrc: collector.trackerSrc("bfcache-site") }, "localhost");
    // Playwright turns the cache off by default; browsers have it on.
    browser = await launchChromium({ ignoreDefaultArgs: ["--disable-back-forward-cache"] });
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all([collector?.close(), pages?.close()]);
  });

  it("counts a page restored from the cache as a new pageview, after the beacon of leaving it", async () => {
    const { page, context, pageErrors } = await openPage(browser);
    const views = () => collector.events().filter((e) => e.t === "pageview").map((e) => e.p);
    await page.goto(`${pages.origin}/first`);
    await waitFor(views, (v) => v.length === 1);
    await page.evaluate(() => ((window as any).__sameDocument = true));
    await page.goto(`${pages.origin}/second`);
    await waitFor(views, (v) => v.length === 2);
    await page.goBack({ waitUntil: "commit" }); // a restored page fires no load event
    await waitFor(views, (v) => v.length === 3);
    // The very document that was left: it came back from the cache, not from a new load.
    expect(await page.evaluate(() => (window as any).__sameDocument)).toBe(true);
    expect(views()).toEqual(["/first", "/second", "/first"]);
    expect(collector.events().filter((e) => e.t === "beacon").map((e) => e.p)).toEqual(["/first", "/second"]);
    expect(pageErrors).toEqual([]);
    await context.close();
  });
});
