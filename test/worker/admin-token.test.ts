/**
 * POST /api/admin/token: the operator mints a token that lets the dashboard
 * read one tenant's reports, for a limited time, and nothing else.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { ADMIN, BASE, admin, call, expectError } from "./helpers";

afterEach(() => {
  vi.useRealTimers();
});

let serial = 0;
const newTenant = (label: string) => `token-${label}-${++serial}`;

const mint = (body: unknown) => call(admin("/api/admin/token", { method: "POST", json: body }));

interface Minted {
  token: string;
  tenant_id: string;
  expires_at: string;
}

async function mintOk(body: Record<string, unknown>): Promise<Minted> {
  const response = await mint(body);
  const text = await response.text();
  if (response.status !== 201) throw new Error(`expected 201, got ${response.status}: ${text}`);
  expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
  return JSON.parse(text) as Minted;
}

const pages = (tenant: string, token: string) =>
  call(new Request(`${BASE}/api/pages?tenant_id=${tenant}`, { headers: { authorization: `Bearer ${token}` } }));

// The token scheme of src/admin/tokens.ts, rebuilt here so tests can sign claims the Worker would never mint.
const encoder = new TextEncoder();
const base64url = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

async function sign(claims: unknown, secret = ADMIN): Promise<string> {
  const payload = base64url(encoder.encode(JSON.stringify(claims)));
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const signature = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(payload)));
  return `${payload}.${base64url(signature)}`;
}

/** Replaces the character at `at` with another base64url character. */
function flip(text: string, at: number): string {
  const replacement = text[at] === "A" ? "B" : "A";
  return text.slice(0, at) + replacement + text.slice(at + 1);
}

describe("minting", () => {
  it("answers 201 with the token, the tenant and an ISO-8601 expiry ttl seconds away", async () => {
    const tenant = newTenant("mint");
    const before = Date.now();
    const minted = await mintOk({ tenant_id: tenant, ttl: 3600 });
    expect(minted.tenant_id).toBe(tenant);
    expect(minted.token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(minted.expires_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
    const expires = Date.parse(minted.expires_at);
    expect(expires).toBeGreaterThanOrEqual(before + 3600_000 - 1_000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 3600_000 + 1_000);
  });

  it("defaults ttl to one day", async () => {
    const before = Date.now();
    const minted = await mintOk({ tenant_id: newTenant("default-ttl") });
    const expires = Date.parse(minted.expires_at);
    expect(expires).toBeGreaterThanOrEqual(before + 86_400_000 - 1_000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 86_400_000 + 1_000);
  });

  it("accepts the bounds 60 and 2592000", async () => {
    const before = Date.now();
    const shortest = await mintOk({ tenant_id: newTenant("ttl-min"), ttl: 60 });
    const longest = await mintOk({ tenant_id: newTenant("ttl-max"), ttl: 2_592_000 });
    expect(Date.parse(shortest.expires_at) - before).toBeGreaterThan(58_000);
    expect(Date.parse(shortest.expires_at) - before).toBeLessThanOrEqual(61_000);
    expect(Date.parse(longest.expires_at) - before).toBeGreaterThan(2_592_000_000 - 2_000);
  });

  it.each([
    ["59", 59],
    ["2592001", 2_592_001],
    ["1.5", 1.5],
    ["\"60\" (a string)", "60"],
    ["0", 0],
    ["negative", -60],
    ["null", null],
  ])("a ttl of %s is a 400 naming ttl", async (_name, ttl) => {
    await expectError(await mint({ tenant_id: newTenant("bad-ttl"), ttl }), 400, "ttl");
  });

  it.each([
    ["missing", {}],
    ["malformed", { tenant_id: "bad id" }],
    ["starting with a hyphen", { tenant_id: "-x" }],
    ["too long", { tenant_id: "a".repeat(65) }],
    ["as a number", { tenant_id: 42 }],
  ])("tenant_id %s is a 400 naming tenant_id", async (_name, body) => {
    await expectError(await mint(body), 400, "tenant_id");
  });

  it.each([
    ["a JSON array", "[]"],
    ["JSON null", "null"],
    ["invalid JSON", "{"],
    ["an empty body", ""],
  ])("%s is a 400", async (_name, body) => {
    const request = admin("/api/admin/token", { method: "POST", headers: { "content-type": "application/json" }, body });
    await expectError(await call(request), 400);
  });

  it("a body that is not JSON is a 415", async () => {
    const request = admin("/api/admin/token", { method: "POST", headers: { "content-type": "text/plain" }, body: JSON.stringify({ tenant_id: "x" }) });
    await expectError(await call(request), 415);
  });

  it("needs the admin token: none or a wrong one is a 401", async () => {
    const body = JSON.stringify({ tenant_id: newTenant("unauth") });
    const none = new Request(`${BASE}/api/admin/token`, { method: "POST", headers: { "content-type": "application/json" }, body });
    await expectError(await call(none), 401);
    await expectError(await call(admin("/api/admin/token", { method: "POST", headers: { authorization: "Bearer wrong" }, json: { tenant_id: "x" } })), 401);
  });

  it("a scoped token cannot mint tokens, not even for its own tenant", async () => {
    const tenant = newTenant("no-escalation");
    const { token } = await mintOk({ tenant_id: tenant });
    const request = admin("/api/admin/token", { method: "POST", headers: { authorization: `Bearer ${token}` }, json: { tenant_id: tenant } });
    await expectError(await call(request), 403);
  });

  it("GET is a 405 with Allow: POST", async () => {
    const response = await call(admin("/api/admin/token"));
    expect(response.headers.get("allow")).toContain("POST");
    await expectError(response, 405);
  });
});

describe("using a scoped token", () => {
  it("reads its own tenant's reports", async () => {
    const tenant = newTenant("reads");
    const { token } = await mintOk({ tenant_id: tenant });
    const response = await pages(tenant, token);
    const text = await response.text();
    expect(response.status, text).toBe(200);
    expect(JSON.parse(text)).toMatchObject({ tenant_id: tenant, days: 30, sampled: false, pages: [] });
  });

  it("cannot read another tenant's reports", async () => {
    const tenant = newTenant("own");
    const other = newTenant("other");
    const { token } = await mintOk({ tenant_id: tenant });
    await expectError(await pages(other, token), 403);
  });

  it("cannot send server-to-server events", async () => {
    const tenant = newTenant("no-ingest");
    const { token } = await mintOk({ tenant_id: tenant });
    const request = new Request(`${BASE}/api/collect`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}`, "user-agent": "Mozilla/5.0", "x-forwarded-for": "198.51.100.1" },
      body: JSON.stringify({ tid: tenant, p: "/" }),
    });
    await expectError(await call(request), 401);
  });

  it("works until it expires, then is a 401 saying so", async () => {
    const tenant = newTenant("expiry");
    const { token, expires_at } = await mintOk({ tenant_id: tenant, ttl: 60 });
    const expiry = Date.parse(expires_at);
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(expiry - 1_000);
    expect((await pages(tenant, token)).status).toBe(200);
    vi.setSystemTime(expiry + 1_000);
    await expectError(await pages(tenant, token), 401, "expired");
  });

  it("a token signed like the Worker's but already expired is a 401", async () => {
    const tenant = newTenant("crafted-expired");
    const expired = await sign({ tid: tenant, exp: Math.floor(Date.now() / 1000) - 10 });
    const valid = await sign({ tid: tenant, exp: Math.floor(Date.now() / 1000) + 600 });
    expect((await pages(tenant, valid)).status).toBe(200); // the scheme is rebuilt faithfully
    await expectError(await pages(tenant, expired), 401, "expired");
  });

  it("a tampered token is a 401", async () => {
    const tenant = newTenant("tampered");
    const { token } = await mintOk({ tenant_id: tenant });
    const [payload, signature] = token.split(".") as [string, string];
    expect((await pages(tenant, token)).status).toBe(200);
    await expectError(await pages(tenant, `${flip(payload, 5)}.${signature}`), 401);
    await expectError(await pages(tenant, `${payload}.${flip(signature, 10)}`), 401);
    await expectError(await pages(tenant, `${payload}.${signature.slice(0, -4)}`), 401);
  });

  it("a token whose signature's last character was changed is a 401, even where base64 would decode it the same", async () => {
    // A 32-byte signature is 43 base64url characters; the last one carries 4 bits and 2 unused ones.
    // Changing only the unused bits gives another spelling of the same bytes: still a tampered token.
    const tenant = newTenant("respelled");
    const { token } = await mintOk({ tenant_id: tenant });
    const [payload, signature] = token.split(".") as [string, string];
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const last = alphabet.indexOf(signature.at(-1)!);
    const respellings = [0, 1, 2, 3].map((bits) => alphabet[(last & ~3) | bits]!).filter((c) => c !== signature.at(-1));
    expect(respellings).toHaveLength(3);
    for (const c of respellings) {
      await expectError(await pages(tenant, `${payload}.${signature.slice(0, -1)}${c}`), 401);
    }
  });

  it("a token whose claims were swapped for another tenant is a 401", async () => {
    const mine = newTenant("swap-mine");
    const theirs = newTenant("swap-theirs");
    const { token } = await mintOk({ tenant_id: mine });
    const [payload, signature] = token.split(".") as [string, string];
    const claims = JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/"))) as { tid: string; exp: number };
    const forged = base64url(encoder.encode(JSON.stringify({ ...claims, tid: theirs })));
    await expectError(await pages(theirs, `${forged}.${signature}`), 401);
  });

  it("a token signed with another secret is a 401", async () => {
    const tenant = newTenant("other-secret");
    const token = await sign({ tid: tenant, exp: Math.floor(Date.now() / 1000) + 600 }, "some-other-secret");
    await expectError(await pages(tenant, token), 401);
  });

  it.each([
    ["abc", "abc"],
    ["a.b.c", "a.b.c"],
    ["a.b", "a.b"],
    ["a dot alone", "."],
    ["non-base64url characters", "ab+c.de/f"],
  ])("a malformed token (%s) is a 401", async (_name, token) => {
    await expectError(await pages(newTenant("malformed"), token), 401);
  });

  it.each([
    ["an empty bearer", "Bearer "],
    ["a bare token without the scheme", ADMIN],
    ["an empty header", ""],
  ])("%s is a 401", async (_name, authorization) => {
    const request = new Request(`${BASE}/api/pages?tenant_id=${newTenant("empty")}`, { headers: { authorization } });
    await expectError(await call(request), 401);
  });
});
