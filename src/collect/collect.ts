/**
 * POST /api/collect: parse ▸ resolve tenant ▸ drop bots ▸ enrich ▸ data point ▸ sink.
 * One event (browsers) or a batch of up to 100 (authenticated servers); every
 * event of a request is validated and resolved before any is written, so a
 * bad batch is refused whole and nothing is half-stored.
 */
import { requireSecret, type Settings } from "../config";
import { jsonResponse, unauthorized } from "../http/errors";
import { readJson, requireMediaType } from "../http/body";
import { optionalIdParam } from "../http/params";
import { toDataPoint, type StoredEvent } from "../store/layout";
import type { EventSink } from "../store/sink";
import { normalisePath, parseCollectBody, type CollectEvent } from "./schema";
import { isServerAuthenticated, resolveTenant, type TenantResolution } from "./tenant";
import { isBot } from "./bots";
import { deviceInfo, edgeGeography, referrerDomain, visitorHash } from "./enrich";

/** 100 events of about 1 KB each with room to spare; a browser event is a few hundred bytes. */
export const BODY_LIMIT = 128 * 1024;

export interface CollectContext {
  settings: Settings;
  kv: KVNamespace;
  sink: EventSink;
}

async function toStoredEvent(event: CollectEvent, who: TenantResolution, request: Request, secret: string): Promise<StoredEvent> {
  const { ip, userAgent } = who.visitor;
  const geography = edgeGeography(request);
  // Only the authenticated backend may state where its visitor is; a browser could claim anything.
  if (who.source === "server") {
    geography.country = event.co?.toUpperCase() ?? "";
    geography.city = event.ci ?? "";
  }
  const device = deviceInfo(userAgent);
  return {
    tenantId: who.tenantId,
    type: event.t,
    path: normalisePath(event.p),
    referrer: event.t === "pageview" ? referrerDomain(event.r, who.pageHost, who.allowlist) : "",
    eventName: event.t === "event" ? (event.en ?? "") : "",
    utmSource: event.us ?? "",
    utmMedium: event.um ?? "",
    utmCampaign: event.uc ?? "",
    country: geography.country,
    city: geography.city,
    device: device.device,
    browser: device.browser,
    os: device.os,
    visitor: await visitorHash(secret, who.tenantId, ip, userAgent),
    siteId: who.siteId,
    source: who.source,
    duration: event.t === "beacon" ? (event.d ?? 0) : 0,
  };
}

export async function collect(request: Request, context: CollectContext): Promise<Response> {
  const { settings, kv, sink } = context;
  requireMediaType(request, ["application/json", "text/plain"]);
  const { events, batch } = parseCollectBody(await readJson(request, BODY_LIMIT));

  const needsServerAuth = batch || events.some((e) => e.tid !== undefined);
  const serverAuthenticated = needsServerAuth && (await isServerAuthenticated(settings, request));
  if (batch && !serverAuthenticated) {
    throw unauthorized("A batch of events needs `Authorization: Bearer` with the ingest token.");
  }
  // A query-string sid lets browsers name their site in a CORS preflight too (see cors.ts).
  const querySid = optionalIdParam(new URL(request.url), "sid") ?? undefined;

  const resolved: TenantResolution[] = [];
  for (const event of events) {
    if (event.sid === undefined && event.tid === undefined && querySid !== undefined) event.sid = querySid;
    resolved.push(await resolveTenant(event, request, settings, kv, serverAuthenticated));
  }

  const secret = requireSecret(settings, "FINGERPRINT_SECRET");
  const stored: StoredEvent[] = [];
  for (const [i, event] of events.entries()) {
    const who = resolved[i]!;
    // Bots are answered like everyone else so that they learn nothing, but never stored.
    if (isBot(who.visitor.userAgent, who.source)) continue;
    stored.push(await toStoredEvent(event, who, request, secret));
  }
  if (stored.length > 0) await sink.write(stored.map(toDataPoint));
  // The authenticated backend is told how many events were kept, so that a
  // forwarded bot user agent (or an HTTP library's own) is not a silent loss;
  // a browser is not told whether it was taken for a bot.
  return jsonResponse(serverAuthenticated ? { accepted: events.length, stored: stored.length } : { accepted: events.length }, 202);
}
