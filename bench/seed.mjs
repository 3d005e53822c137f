// Seeds the local engine's storage with synthetic events quickly: one
// `INSERT … SELECT … FROM numbers(N)` per tenant inside ClickHouse instead of
// millions of HTTP data points. Column positions come from the Worker's own
// layout module (src/store/layout.ts), bundled on the fly, so the bench
// knows no `blobN` of its own.
import { build } from "esbuild";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { ROOT, startEngine } from "../scripts/stack.mjs";

async function importLayout() {
  const outfile = path.join(mkdtempSync(path.join(tmpdir(), "manhali-layout-")), "layout.mjs");
  await build({ entryPoints: [path.join(ROOT, "src/store/layout.ts")], bundle: true, format: "esm", outfile, logLevel: "warning" });
  return import(pathToFileURL(outfile).href);
}

/** `expr` picks one of `values` by `number % values.length`. */
const pick = (values, salt = 0) => `[${values.map((v) => `'${v}'`).join(",")}][((number * 7919 + ${salt}) % ${values.length}) + 1]`;

function insertSql(COLUMN, LAYOUT_VERSION, tenant, count, seed) {
  const sets = {
    [COLUMN.type]: `multiIf(number % 20 < 17, 'pageview', number % 20 < 19, 'beacon', 'event')`,
    [COLUMN.path]: `concat('/course/', toString((number * 31 + ${seed}) % 400))`,
    [COLUMN.referrer]: pick(["", "", "", "google.com", "bing.com", "news.ycombinator.com", "t.co", "facebook.com"], seed),
    [COLUMN.eventName]: `if(number % 20 = 19, ${pick(["enrolled", "paid", "signup", "download"], seed)}, '')`,
    [COLUMN.utmSource]: pick(["", "", "newsletter", "twitter"], seed + 1),
    [COLUMN.utmMedium]: pick(["", "", "email", "social"], seed + 2),
    [COLUMN.utmCampaign]: pick(["", "", "", "spring", "launch"], seed + 3),
    [COLUMN.country]: pick(["MA", "FR", "US", "DZ", "TN", "EG", "DE"], seed + 4),
    [COLUMN.city]: pick(["Rabat", "Casablanca", "Paris", "", "Austin", "Tunis"], seed + 5),
    [COLUMN.device]: pick(["desktop", "desktop", "mobile", "mobile", "tablet"], seed + 6),
    [COLUMN.browser]: pick(["Chrome", "Safari", "Firefox", "Edge"], seed + 7),
    [COLUMN.os]: pick(["Windows", "iOS", "Android", "Mac OS", "Linux"], seed + 8),
    [COLUMN.visitor]: `lower(hex(cityHash64(${seed}, number % ${Math.max(1, Math.floor(count / 8))})))`,
    [COLUMN.siteId]: `'${tenant}'`,
    [COLUMN.source]: `'browser'`,
    [COLUMN.duration]: `if(number % 20 >= 17 AND number % 20 < 19, toFloat64(number % 300), 0)`,
    [COLUMN.layoutVersion]: String(LAYOUT_VERSION),
  };
  const names = ["timestamp", "_sample_interval", "index1", "dataset", ...Object.keys(sets)];
  const values = [
    // Spread over the last 30 days, newest first.
    `now() - toIntervalSecond((number * 2591) % 2592000)`,
    "1",
    `'${tenant}'`,
    "'manhali_events'",
    ...Object.values(sets),
  ];
  return `INSERT INTO ae_storage.events (${names.join(", ")}) SELECT ${values.join(", ")} FROM numbers(${count})`;
}

export async function seedEvents({ dataDir, tenant, events, otherTenants, otherEvents = 50_000 }) {
  const { COLUMN, LAYOUT_VERSION } = await importLayout();
  // Let the engine create its schema, then write into the same folder directly
  // (chDB opens one data folder per process, so the engine must be stopped).
  const engine = await startEngine({ dataDir });
  await engine.stop();
  const { Session } = await import("chdb");
  const session = new Session(dataDir, { connectionArgs: ["--session_timezone=UTC"] });
  const started = Date.now();
  try {
    await session.queryAsync(insertSql(COLUMN, LAYOUT_VERSION, tenant, events, 1), { format: "TSV" });
    for (let i = 1; i <= otherTenants; i++) {
      const name = `t${String(i).padStart(2, "0")}`;
      await session.queryAsync(insertSql(COLUMN, LAYOUT_VERSION, name, otherEvents, i + 1), { format: "TSV" });
    }
  } finally {
    session.close();
  }
  return { total: events + otherTenants * otherEvents, ms: Date.now() - started };
}
