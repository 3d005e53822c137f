/**
 * Who is calling: the admin (`AUTH_TOKEN`, any tenant, admin routes) or the
 * holder of a scoped token (its own tenant's reports only). Error messages
 * say what is wrong with the credentials, never what the right ones are.
 */
import { requireSecret, type Settings } from "../config";
import { verifyToken } from "../admin/tokens";
import { bearerToken, secretsEqual } from "./secrets";
import { forbidden, unauthorized } from "./errors";

export type Caller = { role: "admin" } | { role: "tenant"; tenantId: string };

const CHALLENGE = { "www-authenticate": 'Bearer realm="manhali"' };

function noCredentials(message: string) {
  const error = unauthorized(message);
  Object.assign(error.headers, CHALLENGE);
  return error;
}

export async function identifyCaller(settings: Settings, request: Request): Promise<Caller> {
  const adminToken = requireSecret(settings, "AUTH_TOKEN");
  const token = bearerToken(request);
  if (!token) throw noCredentials("Send `Authorization: Bearer <token>` with an admin or tenant token.");
  if (await secretsEqual(token, adminToken)) return { role: "admin" };
  const check = await verifyToken(adminToken, token);
  if (check.ok) return { role: "tenant", tenantId: check.tenantId };
  const why = check.reason === "expired" ? "The token has expired; mint a new one." : "The token is not valid.";
  throw noCredentials(why);
}

/** Reports: the admin reads any tenant, a scoped token only its own. */
export function requireTenantAccess(caller: Caller, tenantId: string): void {
  if (caller.role === "tenant" && caller.tenantId !== tenantId) {
    throw forbidden("This token is scoped to another tenant.");
  }
}

export async function authorizeAdmin(settings: Settings, request: Request): Promise<void> {
  const caller = await identifyCaller(settings, request);
  if (caller.role !== "admin") throw forbidden("Admin routes need the admin token; a tenant token cannot use them.");
}
