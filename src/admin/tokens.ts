/**
 * Tenant-scoped report tokens: `payload.signature`, both base64url.
 * The payload is JSON `{"tid": tenant id, "exp": expiry in Unix seconds}`;
 * the signature is HMAC-SHA256 over the payload text under `AUTH_TOKEN`.
 * Tokens are stateless: rotating `AUTH_TOKEN` revokes every one of them.
 * Verification uses `crypto.subtle.verify`, which compares in constant time.
 */
import { idRule, isId } from "../ids";
import { badRequest } from "../http/errors";
import { hmacKey } from "../http/secrets";

export const MIN_TTL = 60;
export const MAX_TTL = 2_592_000;
export const DEFAULT_TTL = 86_400;

const encoder = new TextEncoder();

function toBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]+$/.test(text)) return null;
  try {
    const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

/** The body of POST /api/admin/token: `{"tenant_id": T, "ttl": seconds}`. */
export function tokenRequestFromBody(body: unknown): { tenantId: string; ttl: number } {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw badRequest("invalid_body", 'Send {"tenant_id": "...", "ttl": 86400}.');
  }
  const { tenant_id: tenantId, ttl = DEFAULT_TTL } = body as { tenant_id?: unknown; ttl?: unknown };
  if (tenantId === undefined) throw badRequest("invalid_field", "tenant_id is required.");
  if (!isId(tenantId)) throw badRequest("invalid_field", idRule("tenant_id"));
  if (typeof ttl !== "number" || !Number.isInteger(ttl) || ttl < MIN_TTL || ttl > MAX_TTL) {
    throw badRequest("invalid_field", `ttl must be whole seconds from ${MIN_TTL} to ${MAX_TTL}.`);
  }
  return { tenantId, ttl };
}

export interface ScopedToken {
  token: string;
  tenantId: string;
  expiresAt: Date;
}

export async function mintToken(secret: string, tenantId: string, ttlSeconds: number, now = Date.now()): Promise<ScopedToken> {
  const exp = Math.floor(now / 1000) + ttlSeconds;
  const payload = toBase64Url(encoder.encode(JSON.stringify({ tid: tenantId, exp })));
  const signature = await crypto.subtle.sign("HMAC", await hmacKey(secret), encoder.encode(payload));
  return { token: `${payload}.${toBase64Url(new Uint8Array(signature))}`, tenantId, expiresAt: new Date(exp * 1000) };
}

export type TokenCheck = { ok: true; tenantId: string } | { ok: false; reason: "malformed" | "bad_signature" | "expired" };

export async function verifyToken(secret: string, token: string, now = Date.now()): Promise<TokenCheck> {
  const parts = token.split(".");
  if (parts.length !== 2 || parts[0]!.length > 512) return { ok: false, reason: "malformed" };
  const [payload, signatureText] = parts as [string, string];
  const signature = fromBase64Url(signatureText);
  // base64 leaves spare bits in the last character; requiring the canonical
  // spelling gives every token exactly one valid form.
  if (!signature || !fromBase64Url(payload) || toBase64Url(signature) !== signatureText) return { ok: false, reason: "malformed" };
  const valid = await crypto.subtle.verify("HMAC", await hmacKey(secret), signature, encoder.encode(payload));
  if (!valid) return { ok: false, reason: "bad_signature" };
  let claims: unknown;
  try {
    claims = JSON.parse(new TextDecoder().decode(fromBase64Url(payload)!));
  } catch {
    return { ok: false, reason: "malformed" };
  }
  const { tid, exp } = (claims ?? {}) as { tid?: unknown; exp?: unknown };
  if (!isId(tid) || typeof exp !== "number" || !Number.isInteger(exp)) return { ok: false, reason: "malformed" };
  if (exp * 1000 <= now) return { ok: false, reason: "expired" };
  return { ok: true, tenantId: tid };
}
