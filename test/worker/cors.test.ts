/**
 * CORS for /api/collect: a page that posts JSON gets its preflight answered
 * only for an origin on the site's allowlist, and never with credentials.
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { BASE, browserEvent, call, expectError, registerDomain } from "./helpers";

afterEach(() => {
  vi.restoreAllMocks();
});

let serial = 0;
async function site(label: string, domain = "school.example"): Promise<string> {
  const tenant = `cors-${label}-${++serial}`;
  await registerDomain(tenant, domain);
  return tenant;
}

function preflight(query: string, origin: string | null): Request {
  const headers: Record<string, string> = {
    "access-control-request-method": "POST",
    "access-control-request-headers": "content-type",
  };
  if (origin !== null) headers.origin = origin;
  return new Request(`${BASE}/api/collect${query}`, { method: "OPTIONS", headers });
}

describe("OPTIONS /api/collect (CORS preflight)", () => {
  it("allows a POST with content-type from an origin on the site's allowlist, without credentials", async () => {
    const tenant = await site("allowed");
    const response = await call(preflight(`?sid=${tenant}`, "https://school.example"));
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe("https://school.example");
    expect(response.headers.get("access-control-allow-methods")).toContain("POST");
    expect(response.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("content-type");
    expect(response.headers.get("access-control-allow-credentials")).toBeNull();
    expect(response.headers.get("vary")).toContain("Origin");
    expect(await response.text()).toBe("");
  });

  it("answers for the www. variant of a registered domain with that exact origin", async () => {
    const tenant = await site("www");
    const response = await call(preflight(`?sid=${tenant}`, "https://www.school.example"));
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe("https://www.school.example");
  });

  it("refuses an origin that is not on the site's allowlist, granting it nothing", async () => {
    const tenant = await site("unlisted");
    const response = await call(preflight(`?sid=${tenant}`, "https://evil.example"));
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
    await expectError(response, 403);
  });

  it("refuses an origin registered only by another site", async () => {
    const tenant = await site("mine", "mine.example");
    await site("theirs", "theirs.example");
    await expectError(await call(preflight(`?sid=${tenant}`, "https://theirs.example")), 403);
  });

  it("in production, a preflight without sid is a 400 naming sid", async () => {
    await expectError(await call(preflight("", "https://school.example")), 400, "sid");
  });

  it("in development, a preflight without sid is answered for the page's own origin", async () => {
    const response = await call(preflight("", "https://localhost:5173"), { ENVIRONMENT: "development" });
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe("https://localhost:5173");
  });

  it("a malformed sid is a 400", async () => {
    await expectError(await call(preflight("?sid=bad%20sid", "https://school.example")), 400, "sid");
  });

  it("a preflight without Origin is a 400", async () => {
    const tenant = await site("no-origin");
    await expectError(await call(preflight(`?sid=${tenant}`, null)), 400, "Origin");
  });
});

describe("POST /api/collect CORS headers", () => {
  it("a refused event also carries the page's origin, so the page can read why", async () => {
    const tenant = await site("refused-readable");
    const response = await call(browserEvent({ sid: tenant, p: 5 }, { origin: "https://school.example" }));
    expect(response.headers.get("access-control-allow-origin")).toBe("https://school.example");
    await expectError(response, 400, "p");
  });

  it("an accepted event answers with the page's origin and Vary: Origin", async () => {
    const tenant = await site("post");
    const response = await call(browserEvent({ sid: tenant, p: "/" }, { origin: "https://school.example" }));
    expect(response.status).toBe(202);
    expect(response.headers.get("access-control-allow-origin")).toBe("https://school.example");
    expect(response.headers.get("vary")).toContain("Origin");
    expect(response.headers.get("access-control-allow-credentials")).toBeNull();
  });

  it("a page posting JSON to /api/collect?sid= after its preflight is accepted", async () => {
    const tenant = await site("query-sid");
    const writes = vi.spyOn(env.ANALYTICS, "writeDataPoint");
    const request = new Request(`${BASE}/api/collect?sid=${tenant}`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        origin: "https://school.example",
        "user-agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
      },
      body: JSON.stringify({ p: "/" }),
    });
    const response = await call(request);
    expect(response.status).toBe(202);
    expect(response.headers.get("access-control-allow-origin")).toBe("https://school.example");
    expect(writes.mock.calls.map(([point]) => point!.indexes)).toEqual([[tenant]]);
  });
});
