// The tracker as served to one site: the minified template (built by
// scripts/build-tracker.mjs) with the site id and this deployment's collect URL
// filled in, plus a strong ETag. Web-standard code only; no Hono.

import {
  COLLECT_URL_PLACEHOLDER,
  SITE_ID_PLACEHOLDER,
  TRACKER_TEMPLATE,
  TRACKER_VERSION,
} from "./bundle.generated";

// Browsers and CDN caches keep the script for an hour: a tracker change (or a
// new collect URL) reaches every tenant page within the hour, while a busy
// site's visitors mostly load it from cache. The ETag makes the hourly
// revalidation a body-less 304.
export const TRACKER_CACHE_CONTROL = "public, max-age=3600";

export const TRACKER_CONTENT_TYPE = "application/javascript; charset=utf-8";

export interface TrackerScript {
  body: string;
  etag: string;
}

// Filled scripts by site id and collect URL, so a busy site is not rebuilt per
// request. Bounded: the oldest entry goes when it is full (a Map iterates in
// insertion order, and a hit is re-inserted, so this is least-recently-used).
const CACHE_LIMIT = 256;
const cache = new Map<string, TrackerScript>();

export function trackerScript(siteId: string, collectUrl: string): TrackerScript {
  const key = `${siteId} ${collectUrl}`;
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const body = TRACKER_TEMPLATE.split(SITE_ID_PLACEHOLDER)
    .join(jsStringLiteral(siteId))
    .split(COLLECT_URL_PLACEHOLDER)
    .join(jsStringLiteral(collectUrl));
  // Template version + hash of the filled body: any change to either changes it.
  const script = { body, etag: `"${TRACKER_VERSION}-${fnv1a(body)}"` };
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(key, script);
  return script;
}

/**
 * A JavaScript string literal for any value: JSON, with `<` escaped so the
 * script stays safe if a tenant inlines it in a <script> element, and U+2028 /
 * U+2029 escaped because older engines treat them as line breaks inside strings.
 */
export function jsStringLiteral(value: string): string {
  return JSON.stringify(value).replace(
    /[<\u2028\u2029]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

// FNV-1a, 32 bits: synchronous and cheap, enough to tell versions of one URL apart.
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(36);
}
