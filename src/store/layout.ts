/**
 * The data point layout: the only place that knows which Analytics Engine
 * column holds what. The collector builds points with `toDataPoint`; report
 * builders name columns through `COLUMN`. Changing an entry here is a schema
 * migration: append new fields, never move old ones (stored rows keep their
 * positions for 90 days).
 */

export type EventType = "pageview" | "beacon" | "event";
export type DeviceType = "desktop" | "mobile" | "tablet";
export type EventSource = "browser" | "server";

/** One enriched event, ready to store. Strings are "" when unknown. */
export interface StoredEvent {
  tenantId: string;
  type: EventType;
  path: string;
  referrer: string;
  eventName: string;
  utmSource: string;
  utmMedium: string;
  utmCampaign: string;
  country: string;
  city: string;
  device: DeviceType;
  browser: string;
  os: string;
  /** Daily visitor hash: rotates at UTC midnight, never reversible to IP or user agent. */
  visitor: string;
  siteId: string;
  source: EventSource;
  /** Seconds on page, beacons only. */
  duration: number;
}

/** Blob positions, 1-based as Analytics Engine names them (`blob1`…`blob20`). */
const BLOBS = [
  "type",
  "path",
  "referrer",
  "eventName",
  "utmSource",
  "utmMedium",
  "utmCampaign",
  "country",
  "city",
  "device",
  "browser",
  "os",
  "visitor",
  "siteId",
  "source",
] as const satisfies readonly (keyof StoredEvent)[];

const DOUBLES = ["duration", "layoutVersion"] as const;
export const LAYOUT_VERSION = 1;

type BlobField = (typeof BLOBS)[number];
type DoubleField = (typeof DOUBLES)[number];

/** SQL column names: `COLUMN.path` is `blob2`. The tenant is always `index1`. */
export const COLUMN = {
  tenant: "index1",
  ...(Object.fromEntries(BLOBS.map((field, i) => [field, `blob${i + 1}`])) as Record<BlobField, string>),
  ...(Object.fromEntries(DOUBLES.map((field, i) => [field, `double${i + 1}`])) as Record<DoubleField, string>),
} as const;

/** Documentation rows for the README/architecture table (kept in sync by a test). */
export const LAYOUT_TABLE: ReadonlyArray<[column: string, field: string]> = [
  ["index1", "tenantId"],
  ...BLOBS.map((field, i): [string, string] => [`blob${i + 1}`, field]),
  ...DOUBLES.map((field, i): [string, string] => [`double${i + 1}`, field]),
];

export function toDataPoint(event: StoredEvent): AnalyticsEngineDataPoint {
  return {
    // index1 = tenant: Analytics Engine samples per index, so each tenant is sampled on its own.
    indexes: [event.tenantId],
    blobs: BLOBS.map((field) => event[field]),
    doubles: [event.duration, LAYOUT_VERSION],
  };
}
