/**
 * The full credentials matrix (api.md, Reports and Admin): every kind of
 * credential against every report route and every admin route.
 *
 *                      reports   admin routes
 *   admin token          200        2xx
 *   scoped, same tenant  200        403
 *   scoped, other tenant 403        403
 *   expired / tampered   401        401
 *   none / garbage       401        401
 *   wrong scheme (Basic) 401        401
 */
import { beforeAll, describe, expect, it } from "vitest";
import { ADMIN, BASE, REPORT_NAMES, admin, call, reportRequest, uniqueTenant } from "./helpers";

const tenant = uniqueTenant("matrix");
const otherTenant = uniqueTenant("matrix-other");
const encoder = new TextEncoder();

function base64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Signs a token the way src/admin/tokens.ts does: HMAC-SHA256 under AUTH_TOKEN over the base64url payload text. */
async function signToken(claims: { tid: string; exp: number }, secret = ADMIN): Promise<string> {
  const payload = base64Url(encoder.encode(JSON.stringify(claims)));
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const signature = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(payload)));
  return `${payload}.${base64Url(signature)}`;
}

async function mint(tenantId: string, ttl = 3600): Promise<string> {
  const response = await call(admin("/api/admin/token", { method: "POST", json: { tenant_id: tenantId, ttl } }));
  expect(response.status).toBe(201);
  const body = (await response.json()) as { token: string; tenant_id: string; expires_at: string };
  expect(body.tenant_id).toBe(tenantId);
  expect(Date.parse(body.expires_at)).toBeGreaterThan(Date.now());
  return body.token;
}

type Credential = "admin" | "scoped same tenant" | "scoped other tenant" | "expired" | "tampered payload" | "tampered signature" | "foreign secret" | "none" | "garbage" | "wrong scheme";
const CREDENTIALS: Credential[] = [
  "admin",
  "scoped same tenant",
  "scoped other tenant",
  "expired",
  "tampered payload",
  "tampered signature",
  "foreign secret",
  "none",
  "garbage",
  "wrong scheme",
];
const authorization: Partial<Record<Credential, string | null>> = {};

beforeAll(async () => {
  const same = await mint(tenant);
  const other = await mint(otherTenant);
  const [, otherSignature] = other.split(".");
  // Change the signature's first character: every one of its 6 bits is signature (the last one carries padding bits).
  const [samePayload, sameSignature] = same.split(".") as [string, string];
  const tamperedSignature = `${sameSignature[0] === "A" ? "B" : "A"}${sameSignature.slice(1)}`;
  Object.assign(authorization, {
    admin: `Bearer ${ADMIN}`,
    "scoped same tenant": `Bearer ${same}`,
    "scoped other tenant": `Bearer ${other}`,
    // Correctly signed, but its expiry is a minute ago.
    expired: `Bearer ${await signToken({ tid: tenant, exp: Math.floor(Date.now() / 1000) - 60 })}`,
    // The other tenant's signature under a payload rewritten to claim this tenant.
    "tampered payload": `Bearer ${base64Url(encoder.encode(JSON.stringify({ tid: tenant, exp: Math.floor(Date.now() / 1000) + 3600 })))}.${otherSignature}`,
    "tampered signature": `Bearer ${samePayload}.${tamperedSignature}`,
    // Well formed, for this tenant, but signed with a key that is not AUTH_TOKEN.
    "foreign secret": `Bearer ${await signToken({ tid: tenant, exp: Math.floor(Date.now() / 1000) + 3600 }, "not-the-admin-token")}`,
    none: null,
    garbage: "Bearer abc",
    "wrong scheme": `Basic ${btoa(`admin:${ADMIN}`)}`,
  });
});

async function expectErrorBody(response: Response, status: number): Promise<{ code: string; message: string }> {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
  const body = (await response.json()) as { error: { code: string; message: string } };
  expect(Object.keys(body)).toEqual(["error"]);
  expect(body.error.code).toMatch(/^[a-z]+(_[a-z]+)*$/);
  expect(body.error.message.length).toBeGreaterThan(0);
  // Never a hint at what the right credentials are.
  expect(body.error.message).not.toContain(ADMIN);
  return body.error;
}

const REJECTED: Partial<Record<Credential, number>> = {
  expired: 401,
  "tampered payload": 401,
  "tampered signature": 401,
  "foreign secret": 401,
  none: 401,
  garbage: 401,
  "wrong scheme": 401,
};

describe("report routes", () => {
  const expected: Record<Credential, number> = { admin: 200, "scoped same tenant": 200, "scoped other tenant": 403, ...(REJECTED as Record<string, number>) } as Record<Credential, number>;
  const cells = REPORT_NAMES.flatMap((name) => CREDENTIALS.map((credential) => [name, credential, expected[credential]] as const));

  it("the matrix is complete", () => {
    expect(cells).toHaveLength(REPORT_NAMES.length * CREDENTIALS.length);
    for (const credential of CREDENTIALS) expect(expected[credential], credential).toBeTypeOf("number");
  });

  it.each(cells)("GET /api/%s with %s → %i", async (name, credential, status) => {
    const response = await call(reportRequest(name, tenant, {}, authorization[credential] ?? null));
    if (status === 200) {
      expect(response.status).toBe(200);
      const body = (await response.json()) as { tenant_id: string; sampled: boolean };
      expect(body.tenant_id).toBe(tenant);
      expect(typeof body.sampled).toBe("boolean");
      return;
    }
    const error = await expectErrorBody(response, status);
    if (status === 401) {
      expect(response.headers.get("www-authenticate")).toMatch(/^Bearer/);
      expect(error.code).toBe("unauthorized");
    }
    if (status === 403) expect(error.code).toBe("forbidden");
    if (credential === "expired") expect(error.message).toMatch(/expired/i);
  });

  it("a scoped token reads its own tenant even when the other tenant's token is valid too", async () => {
    const own = await call(reportRequest("overview", otherTenant, {}, authorization["scoped other tenant"]!));
    expect(own.status).toBe(200);
    const cross = await call(reportRequest("overview", otherTenant, {}, authorization["scoped same tenant"]!));
    await expectErrorBody(cross, 403);
  });
});

describe("admin routes", () => {
  const DOMAIN = "matrix.example";
  type AdminRoute = { label: string; request: (auth: string | null) => Request; adminStatus: number };

  const withAuth = (path: string, method: string, auth: string | null, json?: unknown) => {
    const headers = new Headers();
    if (auth !== null) headers.set("authorization", auth);
    if (json !== undefined) headers.set("content-type", "application/json");
    return new Request(`${BASE}${path}`, { method, headers, body: json === undefined ? undefined : JSON.stringify(json) });
  };
  const domainsPath = `/api/admin/domains?tenant_id=${tenant}`;
  const ROUTES: AdminRoute[] = [
    { label: "GET /api/admin/domains", request: (auth) => withAuth(domainsPath, "GET", auth), adminStatus: 200 },
    { label: "POST /api/admin/domains", request: (auth) => withAuth(domainsPath, "POST", auth, { domain: "added.matrix.example" }), adminStatus: 201 },
    { label: "DELETE /api/admin/domains", request: (auth) => withAuth(domainsPath, "DELETE", auth, { domain: DOMAIN }), adminStatus: 200 },
    { label: "POST /api/admin/token", request: (auth) => withAuth("/api/admin/token", "POST", auth, { tenant_id: tenant, ttl: 600 }), adminStatus: 201 },
  ];
  const expectedFor = (credential: Credential, route: AdminRoute) =>
    credential === "admin" ? route.adminStatus : credential.startsWith("scoped") ? 403 : REJECTED[credential]!;
  const cells = ROUTES.flatMap((route) => CREDENTIALS.map((credential) => [route.label, credential, expectedFor(credential, route)] as const));

  async function domains(): Promise<string[]> {
    const response = await call(admin(domainsPath));
    expect(response.status).toBe(200);
    return ((await response.json()) as { domains: string[] }).domains;
  }

  it("the matrix is complete", () => {
    expect(cells).toHaveLength(ROUTES.length * CREDENTIALS.length);
  });

  it.each(cells)("%s with %s → %i", async (label, credential, status) => {
    const route = ROUTES.find((r) => r.label === label)!;
    // The domain to delete is there before every DELETE, and "added…" is absent before every POST.
    const present = await call(admin(domainsPath, { method: "POST", json: { domain: DOMAIN } }));
    expect([200, 201]).toContain(present.status);
    await call(admin(domainsPath, { method: "DELETE", json: { domain: "added.matrix.example" } }));
    const before = await domains();

    const response = await call(route.request(authorization[credential] ?? null));
    if (credential === "admin") {
      expect(response.status).toBe(status);
      const body = (await response.json()) as Record<string, unknown>;
      if (label === "POST /api/admin/token") {
        expect(body).toMatchObject({ tenant_id: tenant });
        expect(typeof body.token).toBe("string");
      } else {
        expect(body).toMatchObject({ tenant_id: tenant });
      }
      return;
    }
    const error = await expectErrorBody(response, status);
    if (status === 401) expect(response.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(error.code).toBe(status === 401 ? "unauthorized" : "forbidden");
    // A refused request changes nothing.
    expect(await domains()).toEqual(before);
  });

  it("a scoped token cannot mint tokens, not even for another tenant", async () => {
    const response = await call(withAuth("/api/admin/token", "POST", authorization["scoped same tenant"]!, { tenant_id: otherTenant, ttl: 600 }));
    expect(response.status).toBe(403);
    expect(await response.text()).not.toMatch(/"token"/);
  });
});
