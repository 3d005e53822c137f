// GET /tracker.js for an already validated site id: the script, its caching
// headers, and 304 when the browser's copy is current. Web-standard code only;
// the router validates `sid` and calls this.

import { TRACKER_CACHE_CONTROL, TRACKER_CONTENT_TYPE, trackerScript } from "./script";

export function trackerResponse(request: Request, siteId: string): Response {
  // The collect endpoint of the deployment that served the script, whatever
  // host name the tenant used to reach it.
  const collectUrl = new URL("/api/collect", request.url).href;
  const { body, etag } = trackerScript(siteId, collectUrl);
  const headers = new Headers({
    ETag: etag,
    "Cache-Control": TRACKER_CACHE_CONTROL,
    // A public script: pages with COEP or with <script crossorigin> (SRI) may load it.
    "Cross-Origin-Resource-Policy": "cross-origin",
    "Access-Control-Allow-Origin": "*",
    "X-Content-Type-Options": "nosniff",
  });
  if (matchesIfNoneMatch(request.headers.get("If-None-Match"), etag)) {
    return new Response(null, { status: 304, headers });
  }
  headers.set("Content-Type", TRACKER_CONTENT_TYPE);
  return new Response(request.method === "HEAD" ? null : body, { status: 200, headers });
}

// If-None-Match uses the weak comparison (RFC 9110, 13.1.2): a W/ prefix is
// ignored, and the header may list several tags or be "*".
function matchesIfNoneMatch(header: string | null, etag: string): boolean {
  if (!header) return false;
  return header.split(",").some((tag) => {
    const trimmed = tag.trim();
    return trimmed === "*" || trimmed.replace(/^W\//, "") === etag;
  });
}
