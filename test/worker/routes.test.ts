/**
 * The public routes besides collection: the tracker script a tenant embeds,
 * and what any unknown route or wrong method answers.
 */
import { describe, expect, it } from "vitest";
import { BASE, call, expectError } from "./helpers";

const tracker = (query: string, headers: Record<string, string> = {}, method = "GET") =>
  call(new Request(`${BASE}/tracker.js${query}`, { method, headers }));

describe("unknown routes", () => {
  it.each([
    ["GET", "/nope"],
    ["GET", "/api/nope"],
    ["POST", "/api/admin/nope"],
    ["GET", "/"],
    ["GET", "/api/collect/extra"],
  ])("%s %s is a 404 JSON error", async (method, path) => {
    const body = await expectError(await call(new Request(`${BASE}${path}`, { method })), 404);
    expect(body.error.code).toBe("not_found");
  });
});

describe("GET /tracker.js", () => {
  it("serves the script with the site id and this deployment's collect URL filled in", async () => {
    const response = await tracker("?sid=school-42");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/javascript; charset=utf-8");
    const body = await response.text();
    expect(body).toContain('"school-42"');
    expect(body).toContain("http://analytics.test/api/collect");
    expect(response.headers.get("etag")).toMatch(/^(W\/)?".+"$/);
    expect(response.headers.get("cache-control")).toMatch(/^public, max-age=\d+$/);
    expect(response.headers.get("set-cookie")).toBeNull();
  });

  it("fills in the host the script was loaded from", async () => {
    const response = await call(new Request("https://stats.other-host.example/tracker.js?sid=school-42"));
    const body = await response.text();
    expect(body).toContain("https://stats.other-host.example/api/collect");
    expect(body).not.toContain("http://analytics.test");
  });

  it("answers 304 with no body when the browser's copy is current", async () => {
    const first = await tracker("?sid=school-43");
    const etag = first.headers.get("etag")!;
    const again = await tracker("?sid=school-43", { "if-none-match": etag });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe("");
    expect(again.headers.get("etag")).toBe(etag);
    const weak = await tracker("?sid=school-43", { "if-none-match": `"stale", W/${etag}` });
    expect(weak.status).toBe(304);
  });

  it("answers 200 with the script for a stale ETag", async () => {
    const response = await tracker("?sid=school-44", { "if-none-match": '"stale"' });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('"school-44"');
  });

  it("gives each site its own ETag, so one site's copy is never served for another", async () => {
    const a = (await tracker("?sid=site-a")).headers.get("etag")!;
    const b = await tracker("?sid=site-b", { "if-none-match": a });
    expect(b.status).toBe(200);
    expect(b.headers.get("etag")).not.toBe(a);
  });

  it("accepts a site id of 64 characters", async () => {
    const sid = `a${"b".repeat(63)}`;
    const response = await tracker(`?sid=${sid}`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain(sid);
  });

  it.each([
    ["missing", ""],
    ["empty", "?sid="],
    ["with a space", "?sid=a%20b"],
    ["starting with a hyphen", "?sid=-x"],
    ["65 characters long", `?sid=${"a".repeat(65)}`],
    ["holding a quote", "?sid=a%22b"],
    ["holding markup", "?sid=%3C%2Fscript%3E"],
  ])("a %s sid is a 400 naming sid", async (_name, query) => {
    await expectError(await tracker(query), 400, "sid");
  });

  it("HEAD answers the headers without the script", async () => {
    const response = await tracker("?sid=school-45", {}, "HEAD");
    expect(response.status).toBe(200);
    expect(response.headers.get("etag")).toBe((await tracker("?sid=school-45")).headers.get("etag"));
    expect(await response.text()).toBe("");
  });

  it("POST is a 405 with Allow", async () => {
    const response = await tracker("?sid=school-42", {}, "POST");
    expect(response.headers.get("allow")).toContain("GET");
    await expectError(response, 405);
  });
});

describe("/health", () => {
  it("POST is a 405 with Allow: GET", async () => {
    const response = await call(new Request(`${BASE}/health`, { method: "POST" }));
    expect(response.headers.get("allow")).toContain("GET");
    await expectError(response, 405);
  });
});
