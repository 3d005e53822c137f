// The tracker artifact: its size budget, what it must never touch, and how
// the Worker serves it (placeholders filled safely, ETag, 304).

import { beforeAll, describe, expect, it } from "vitest";
import {
  COLLECT_URL_PLACEHOLDER,
  SITE_ID_PLACEHOLDER,
  TRACKER_GZIP_BUDGET,
  buildTracker,
  gzipSize,
  writeTrackerBundle,
} from "../../scripts/build-tracker.mjs";

type ScriptModule = typeof import("../../src/tracker/script");
type RouteModule = typeof import("../../src/tracker/route");

let tracker: Awaited<ReturnType<typeof buildTracker>>;
let script: ScriptModule;
let route: RouteModule;

// The longest site id the Worker accepts, and a long production-like endpoint.
const LONGEST_SID = "S".repeat(64);
const LONG_COLLECT_URL = "https://analytics.some-long-tenant-platform-name.example.com/api/collect";

beforeAll(async () => {
  tracker = await buildTracker();
  // The Worker modules read the generated bundle: make sure it is this build.
  await writeTrackerBundle();
  script = await import("../../src/tracker/script");
  route = await import("../../src/tracker/route");
});

describe("tracker size budget", () => {
  it(`stays within ${TRACKER_GZIP_BUDGET} bytes gzipped, as served with the longest site id`, () => {
    const served = script.trackerScript(LONGEST_SID, LONG_COLLECT_URL).body;
    console.log(
      `tracker: ${tracker.sizes.raw} B source, ${tracker.sizes.minified} B minified, ` +
        `${tracker.sizes.gzipped} B gzipped template, ${gzipSize(served)} B gzipped as served (longest sid)`,
    );
    expect(tracker.sizes.gzipped).toBeLessThanOrEqual(TRACKER_GZIP_BUDGET);
    expect(gzipSize(served)).toBeLessThanOrEqual(TRACKER_GZIP_BUDGET);
  });

  it("is minified", () => {
    expect(tracker.sizes.minified).toBeLessThan(tracker.sizes.raw / 2);
    expect(tracker.template).not.toMatch(/\n/);
  });
});

describe("tracker privacy, read from the artifact", () => {
  it("uses no cookie, no web storage, no database and no fingerprinting surface", () => {
    for (const api of [
      "cookie",
      "localStorage",
      "sessionStorage",
      "indexedDB",
      "caches",
      "sendBeacon", // would send the collector's cookies along
      "userAgent",
      "screen",
      "plugins",
      "canvas",
    ]) {
      expect(tracker.template, api).not.toContain(api);
    }
  });

  it("posts text/plain with credentials omitted and keepalive, and sets no header (no preflight)", () => {
    expect(tracker.template).toContain('credentials:"omit"');
    expect(tracker.template).toContain("keepalive:!0");
    expect(tracker.template).not.toMatch(/headers|Content-Type|XMLHttpRequest/i);
  });
});

describe("serving the tracker", () => {
  it("fills in the site id and collect URL, and nothing else is left to fill", () => {
    const { body } = script.trackerScript("school-42", "https://a.example/api/collect");
    expect(tracker.template).toContain(SITE_ID_PLACEHOLDER);
    expect(tracker.template).toContain(COLLECT_URL_PLACEHOLDER);
    expect(body).not.toContain("__MANHALI_");
    expect(body).toContain('"school-42"');
    expect(body).toContain('"https://a.example/api/collect"');
    expect(() => new Function(body)).not.toThrow();
  });

  it("encodes values so they can neither end the string nor a <script> element", () => {
    const hostile = 'https://x.example/api/collect?"</script><script>alert(1)</script>\u2028\u2029\\';
    const { body } = script.trackerScript("site", hostile);
    expect(body).not.toContain("</script>");
    expect(body).not.toMatch(/[\u2028\u2029]/);
    expect(() => new Function(body)).not.toThrow();
    expect(script.jsStringLiteral(hostile)).toBe(
      '"https://x.example/api/collect?\\"\\u003c/script>\\u003cscript>alert(1)\\u003c/script>\\u2028\\u2029\\\\"',
    );
    expect(JSON.parse(script.jsStringLiteral(hostile))).toBe(hostile);
  });

  it("gives a strong ETag that is stable for one site and differs between sites", () => {
    const a = script.trackerScript("site-a", "https://a.example/api/collect");
    const again = script.trackerScript("site-a", "https://a.example/api/collect");
    const b = script.trackerScript("site-b", "https://a.example/api/collect");
    const otherHost = script.trackerScript("site-a", "https://b.example/api/collect");
    expect(a.etag).toMatch(/^"[0-9a-f]{12}-[0-9a-z]+"$/);
    expect(again).toEqual(a);
    expect(new Set([a.etag, b.etag, otherHost.etag]).size).toBe(3);
  });

  it("stays correct past its cache bound", () => {
    const first = script.trackerScript("site-0", "https://a.example/api/collect");
    for (let i = 1; i < 600; i++) script.trackerScript(`site-${i}`, "https://a.example/api/collect");
    expect(script.trackerScript("site-0", "https://a.example/api/collect")).toEqual(first);
    expect(script.trackerScript("site-599", "https://a.example/api/collect").body).toContain('"site-599"');
  });

  it("answers GET /tracker.js with the script, its caching headers and this deployment's collect URL", async () => {
    const response = route.trackerResponse(new Request("https://analytics.example/tracker.js?sid=school-42"), "school-42");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/javascript; charset=utf-8");
    expect(response.headers.get("cache-control")).toBe(script.TRACKER_CACHE_CONTROL);
    expect(script.TRACKER_CACHE_CONTROL).toMatch(/^public, max-age=\d+$/);
    expect(response.headers.get("etag")).toBe(script.trackerScript("school-42", "https://analytics.example/api/collect").etag);
    expect(response.headers.get("set-cookie")).toBeNull();
    const body = await response.text();
    expect(body).toContain('"https://analytics.example/api/collect"');
    expect(body).toContain('"school-42"');
  });

  it("answers 304 without a body when If-None-Match holds the current ETag", async () => {
    const url = "https://analytics.example/tracker.js?sid=school-42";
    const { etag } = script.trackerScript("school-42", "https://analytics.example/api/collect");
    for (const header of [etag, `W/${etag}`, `"old", ${etag}`, "*"]) {
      const response = route.trackerResponse(new Request(url, { headers: { "If-None-Match": header } }), "school-42");
      expect(response.status, header).toBe(304);
      expect(response.headers.get("etag")).toBe(etag);
      expect(response.headers.get("cache-control")).toBe(script.TRACKER_CACHE_CONTROL);
      expect(await response.text()).toBe("");
    }
    const stale = route.trackerResponse(new Request(url, { headers: { "If-None-Match": '"old"' } }), "school-42");
    expect(stale.status).toBe(200);
  });

  it("answers HEAD with the headers only", async () => {
    const response = route.trackerResponse(
      new Request("https://analytics.example/tracker.js?sid=s", { method: "HEAD" }),
      "s",
    );
    expect(response.status).toBe(200);
    expect(response.headers.get("etag")).toMatch(/^"/);
    expect(await response.text()).toBe("");
  });
});
