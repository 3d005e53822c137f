/**
 * CORS for /api/collect. The tracker posts `text/plain`, a "simple" request
 * that needs no preflight. A page that posts `application/json` triggers one;
 * a preflight has no body, so it names its site in the URL
 * (`/api/collect?sid=SITE`) and is answered only for an origin on that
 * site's allowlist. No credentials are ever allowed: collection needs none.
 */
import type { Settings } from "../config";
import { badRequest } from "../http/errors";
import { optionalIdParam } from "../http/params";
import { admitOrigin, browserHost, tenantFromHost } from "./tenant";

export function corsHeaders(request: Request): Record<string, string> {
  const origin = request.headers.get("origin");
  return origin ? { "access-control-allow-origin": origin, vary: "Origin" } : {};
}

export async function preflight(request: Request, settings: Settings, kv: KVNamespace): Promise<Response> {
  const origin = request.headers.get("origin");
  const host = browserHost(request);
  if (!origin || !host) throw badRequest("missing_origin", "A CORS preflight needs an Origin header.");
  const sid = optionalIdParam(new URL(request.url), "sid");
  if (sid !== null) {
    await admitOrigin(settings, kv, sid, host);
  } else if (!(settings.isDevelopment && tenantFromHost(host))) {
    throw badRequest("missing_parameter", "Name the site in the collect URL (/api/collect?sid=SITE) so the preflight can be checked.");
  }
  return new Response(null, {
    status: 204,
    headers: {
      "access-control-allow-origin": origin,
      "access-control-allow-methods": "POST, OPTIONS",
      "access-control-allow-headers": "content-type",
      "access-control-max-age": "86400",
      vary: "Origin",
    },
  });
}
