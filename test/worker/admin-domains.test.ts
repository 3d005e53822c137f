/**
 * GET/POST/DELETE /api/admin/domains: an operator manages a tenant's
 * browser-origin allowlist, and collection follows the change at once.
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ADMIN, BASE, admin, browserEvent, call, expectError } from "./helpers";

afterEach(() => {
  vi.restoreAllMocks();
});

let serial = 0;
const newTenant = (label: string) => `domains-${label}-${++serial}`;

const path = (tenant: string) => `/api/admin/domains?tenant_id=${tenant}`;
const add = (tenant: string, domain: unknown) => call(admin(path(tenant), { method: "POST", json: { domain } }));
const remove = (tenant: string, domain: unknown) => call(admin(path(tenant), { method: "DELETE", json: { domain } }));
const list = (tenant: string) => call(admin(path(tenant)));

async function json(response: Response, status: number): Promise<Record<string, unknown>> {
  const text = await response.text();
  if (response.status !== status) throw new Error(`expected ${status}, got ${response.status}: ${text}`);
  expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
  return JSON.parse(text) as Record<string, unknown>;
}

async function mintScopedToken(tenant: string): Promise<string> {
  const body = await json(await call(admin("/api/admin/token", { method: "POST", json: { tenant_id: tenant } })), 201);
  return body.token as string;
}

describe("adding, listing and removing domains", () => {
  it("a new tenant has an empty list", async () => {
    const tenant = newTenant("empty");
    expect(await json(await list(tenant), 200)).toEqual({ tenant_id: tenant, domains: [] });
  });

  it("adding answers 201 the first time and 200 when the domain is already there", async () => {
    const tenant = newTenant("add");
    expect(await json(await add(tenant, "school.example"), 201)).toEqual({ tenant_id: tenant, domain: "school.example", domains: ["school.example"] });
    expect(await json(await add(tenant, "school.example"), 200)).toEqual({ tenant_id: tenant, domain: "school.example", domains: ["school.example"] });
    // The same host written differently is the same domain.
    expect((await json(await add(tenant, "https://SCHOOL.example/"), 200)).domains).toEqual(["school.example"]);
  });

  it("lists domains sorted", async () => {
    const tenant = newTenant("sorted");
    for (const domain of ["zeta.example", "alpha.example", "*.mid.example", "beta.example"]) await json(await add(tenant, domain), 201);
    const body = await json(await list(tenant), 200);
    expect(body).toEqual({ tenant_id: tenant, domains: ["*.mid.example", "alpha.example", "beta.example", "zeta.example"] });
  });

  it("removing answers 200 with the remaining list, then 404 for a domain that is not there", async () => {
    const tenant = newTenant("remove");
    await json(await add(tenant, "one.example"), 201);
    await json(await add(tenant, "two.example"), 201);
    expect(await json(await remove(tenant, "ONE.example"), 200)).toEqual({ tenant_id: tenant, domain: "one.example", domains: ["two.example"] });
    await expectError(await remove(tenant, "one.example"), 404, "one.example");
    expect((await json(await list(tenant), 200)).domains).toEqual(["two.example"]);
    expect(await json(await remove(tenant, "two.example"), 200)).toMatchObject({ domains: [] });
    expect((await json(await list(tenant), 200)).domains).toEqual([]);
  });

  it("keeps each tenant's list apart", async () => {
    const a = newTenant("apart-a");
    const b = newTenant("apart-b");
    await json(await add(a, "a.example"), 201);
    await json(await add(b, "b.example"), 201);
    expect((await json(await list(a), 200)).domains).toEqual(["a.example"]);
    expect((await json(await list(b), 200)).domains).toEqual(["b.example"]);
    await expectError(await remove(a, "b.example"), 404);
  });
});

describe("normalisation", () => {
  it.each([
    ["HTTPS://WWW.Example.COM:8443/path/", "www.example.com"],
    ["example.org.", "example.org"],
    ["  Example.NET  ", "example.net"],
    ["bücher.de", "xn--bcher-kva.de"],
    ["*.Example.com", "*.example.com"],
    ["http://user:pass@host.example/x?y#z", "host.example"],
  ])("%j is stored as %j", async (input, stored) => {
    const tenant = newTenant("normalise");
    expect(await json(await add(tenant, input), 201)).toMatchObject({ domain: stored, domains: [stored] });
    expect((await json(await list(tenant), 200)).domains).toEqual([stored]);
  });

  it.each([
    ["a phrase", "not a host", "domain"],
    ["an empty string", "", "domain"],
    ["a number", 123, "domain"],
    ["a wildcard over a whole top-level domain", "*.com", "domain"],
    ["a scheme alone", "http://", "domain"],
    ["a label starting with a hyphen", "-bad.example", "domain"],
    ["null", null, "domain"],
  ])("%s is a 400 naming domain", async (_name, domain, field) => {
    const tenant = newTenant("bad-domain");
    await expectError(await add(tenant, domain), 400, field);
    expect((await json(await list(tenant), 200)).domains).toEqual([]);
  });

  it("a body without domain is a 400 naming domain", async () => {
    const tenant = newTenant("no-domain");
    await expectError(await call(admin(path(tenant), { method: "POST", json: { host: "x.example" } })), 400, "domain");
    await expectError(await call(admin(path(tenant), { method: "POST", json: ["x.example"] })), 400, "domain");
  });
});

describe("requests the route refuses", () => {
  it.each([
    ["missing", "/api/admin/domains"],
    ["empty", "/api/admin/domains?tenant_id="],
    ["malformed", "/api/admin/domains?tenant_id=bad%20id"],
    ["too long", `/api/admin/domains?tenant_id=${"a".repeat(65)}`],
    ["starting with a hyphen", "/api/admin/domains?tenant_id=-x"],
  ])("a %s tenant_id is a 400 naming tenant_id", async (_name, url) => {
    await expectError(await call(admin(url)), 400, "tenant_id");
    await expectError(await call(admin(url, { method: "POST", json: { domain: "x.example" } })), 400, "tenant_id");
  });

  it("a body that is not JSON is a 415", async () => {
    const tenant = newTenant("media");
    const request = admin(path(tenant), { method: "POST", headers: { "content-type": "text/plain" }, body: '{"domain":"x.example"}' });
    await expectError(await call(request), 415);
    const form = admin(path(tenant), { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "domain=x.example" });
    await expectError(await call(form), 415);
    expect((await json(await list(tenant), 200)).domains).toEqual([]);
  });

  it("a body over 4 KB is a 413", async () => {
    const tenant = newTenant("too-large");
    await expectError(await call(admin(path(tenant), { method: "POST", json: { domain: "a.example", pad: "x".repeat(5_000) } })), 413);
    expect((await json(await list(tenant), 200)).domains).toEqual([]);
  });

  it("answers 503 with Retry-After when KV cannot be read", async () => {
    vi.spyOn(env.DOMAINS_KV, "get").mockRejectedValue(new Error("KV exploded"));
    const response = await list(newTenant("kv-down"));
    expect(response.headers.get("retry-after")).toMatch(/^\d+$/);
    const body = await expectError(response, 503);
    expect(body.error.message).not.toContain("exploded");
  });

  it("without AUTH_TOKEN configured answers 503 naming the setting and admits nobody", async () => {
    const response = await call(admin(path(newTenant("no-auth"))), { AUTH_TOKEN: "" });
    const text = await response.clone().text();
    await expectError(response, 503, "AUTH_TOKEN");
    expect(text).not.toContain(ADMIN);
  });

  it("invalid JSON is a 400", async () => {
    const tenant = newTenant("bad-json");
    const request = admin(path(tenant), { method: "POST", headers: { "content-type": "application/json" }, body: '{"domain": ' });
    await expectError(await call(request), 400, "JSON");
  });

  it.each([
    ["no token", null, 401],
    ["a wrong token", "Bearer not-the-admin-token", 401],
    ["a token of another scheme", `Basic ${btoa(`admin:${ADMIN}`)}`, 401],
  ])("%s is a 401 for every method", async (_name, authorization, status) => {
    const tenant = newTenant("unauth");
    for (const method of ["GET", "POST", "DELETE"]) {
      const headers = new Headers({ "content-type": "application/json" });
      if (authorization) headers.set("authorization", authorization);
      const request = new Request(`${BASE}${path(tenant)}`, { method, headers, body: method === "GET" ? undefined : JSON.stringify({ domain: "x.example" }) });
      const response = await call(request);
      await expectError(response, status);
    }
    expect((await json(await list(tenant), 200)).domains).toEqual([]);
  });

  it("a tenant-scoped token is a 403, even for its own tenant", async () => {
    const tenant = newTenant("scoped");
    const token = await mintScopedToken(tenant);
    const headers = { authorization: `Bearer ${token}` };
    await expectError(await call(admin(path(tenant), { headers })), 403);
    await expectError(await call(admin(path(tenant), { method: "POST", headers, json: { domain: "x.example" } })), 403);
    await expectError(await call(admin(path(tenant), { method: "DELETE", headers, json: { domain: "x.example" } })), 403);
    expect((await json(await list(tenant), 200)).domains).toEqual([]);
  });

  it.each(["PUT", "PATCH"])("%s is a 405 with Allow", async (method) => {
    const response = await call(admin(path(newTenant("method")), { method, json: { domain: "x.example" } }));
    expect(response.headers.get("allow")).toMatch(/GET/);
    expect(response.headers.get("allow")).toMatch(/POST/);
    expect(response.headers.get("allow")).toMatch(/DELETE/);
    await expectError(response, 405);
  });

  it("does not leak the admin token in any answer", async () => {
    const responses = [await list(newTenant("leak")), await call(admin("/api/admin/domains")), await add(newTenant("leak"), "not a host")];
    for (const response of responses) expect(await response.text()).not.toContain(ADMIN);
  });
});

describe("collection follows allowlist changes at once", () => {
  it("a domain admits events right after POST and refuses them right after DELETE", async () => {
    const tenant = newTenant("live");
    const writes = vi.spyOn(env.ANALYTICS, "writeDataPoint");
    const event = () => call(browserEvent({ sid: tenant, p: "/" }, { origin: "https://live.example" }));

    await expectError(await event(), 403); // also leaves a cached refusal behind
    await json(await add(tenant, "LIVE.example"), 201);
    expect((await event()).status).toBe(202);
    expect(writes).toHaveBeenCalledTimes(1);

    await json(await remove(tenant, "live.example"), 200);
    await expectError(await event(), 403); // a cached approval must not outlive the removal
    expect(writes).toHaveBeenCalledTimes(1);
  });

  it("a removed domain stops counting while the tenant's other domains keep counting", async () => {
    const tenant = newTenant("partial");
    await json(await add(tenant, "keep.example"), 201);
    await json(await add(tenant, "drop.example"), 201);
    const from = (origin: string) => call(browserEvent({ sid: tenant, p: "/" }, { origin }));
    expect((await from("https://drop.example")).status).toBe(202);
    await json(await remove(tenant, "drop.example"), 200);
    await expectError(await from("https://drop.example"), 403);
    expect((await from("https://keep.example")).status).toBe(202);
  });
});
