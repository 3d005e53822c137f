// `bun run bench`: the Worker's costs, measured, not assumed. Not a test.
//   1. collect: requests per second of POST /api/collect (a browser pageview
//      from an allowlisted origin, through tenant resolution, bot check,
//      hashing, UA parsing and writeDataPoint) beside a hello-world Worker
//      in the same Miniflare instance, and their ratio.
//   2. reports: each report's latency through the Worker against the local
//      Analytics Engine holding 1,000,000 events of one tenant among 20.
// Options: --only collect|reports, --seconds N (per load run), --events N.
import { parseArgs } from "node:util";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startBenchWorkers } from "./worker.mjs";
import { load } from "./load.mjs";
import { seedEvents } from "./seed.mjs";
import { startEngine } from "../scripts/stack.mjs";

const { values: options } = parseArgs({
  options: {
    only: { type: "string" },
    seconds: { type: "string", default: "5" },
    events: { type: "string", default: "1000000" },
  },
});
const seconds = Number(options.seconds);

const SECRETS = { AUTH_TOKEN: "bench-admin-token", FINGERPRINT_SECRET: "bench-fingerprint", INGEST_TOKEN: "bench-ingest" };
const BROWSER = {
  "content-type": "text/plain;charset=UTF-8",
  origin: "https://school.example",
  "user-agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
  "cf-connecting-ip": "203.0.113.9",
};

async function benchCollect() {
  const { mf, url } = await startBenchWorkers({ bindings: { ...SECRETS, ENVIRONMENT: "production" } });
  try {
    const register = await mf.dispatchFetch("http://manhali.bench/api/admin/domains?tenant_id=bench", {
      method: "POST",
      headers: { authorization: `Bearer ${SECRETS.AUTH_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ domain: "school.example" }),
    });
    if (register.status !== 201) throw new Error(`could not register the bench domain: ${register.status}`);
    const collect = {
      url: `${url}/api/collect`, host: "manhali.bench", method: "POST", headers: BROWSER, expectStatus: 202,
      body: JSON.stringify({ sid: "bench", p: "/courses/intro", r: "https://www.google.com/", us: "newsletter" }),
    };
    const hello = { url: `${url}/`, host: "hello.bench", expectStatus: 200 };
    await load({ ...hello, seconds: 1 });
    await load({ ...collect, seconds: 1 });
    const rounds = { hello: [], collect: [] };
    for (let round = 0; round < 2; round++) {
      // Interleaved so that a slow moment of the machine hits both alike.
      const h = await load({ ...hello, seconds });
      const c = await load({ ...collect, seconds });
      if (h.wrong || c.wrong) throw new Error(`unexpected statuses: hello ${h.wrong}, collect ${c.wrong}`);
      rounds.hello.push(h.perSecond);
      rounds.collect.push(c.perSecond);
    }
    const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const helloRps = mean(rounds.hello);
    const collectRps = mean(rounds.collect);
    console.log("\ncollect vs hello world (same Miniflare instance, 50 connections, %d s x 2 rounds)", seconds);
    console.log(`  hello world       ${helloRps.toFixed(0).padStart(7)} req/s`);
    console.log(`  POST /api/collect ${collectRps.toFixed(0).padStart(7)} req/s`);
    console.log(`  ratio collect/hello = ${(collectRps / helloRps).toFixed(2)}  (each collect costs ${(helloRps / collectRps).toFixed(2)}x a hello world)`);
  } finally {
    await mf.dispose();
  }
}

const REPORTS = [
  "overview?days=30", "pages?days=30", "referrers?days=30", "geo?days=30", "devices?days=30",
  "realtime", "events?days=30", "timeseries?days=30&interval=day", "timeseries?days=7&interval=hour",
];

async function benchReports() {
  const events = Number(options.events);
  const dir = mkdtempSync(path.join(tmpdir(), "manhali-bench-engine-"));
  const engineToken = "bench-cf-api-token";
  try {
    const seeded = await seedEvents({ dataDir: path.join(dir, "engine"), tenant: "t00", events, otherTenants: 19 });
    console.log(`\nseeded ${seeded.total.toLocaleString()} events (${events.toLocaleString()} for tenant t00, 19 other tenants) in ${seeded.ms} ms`);
    const engine = await startEngine({ dataDir: path.join(dir, "engine"), token: engineToken });
    const { mf } = await startBenchWorkers({
      bindings: {
        ...SECRETS, ENVIRONMENT: "production", ACCOUNT_ID: "bench", CF_API_TOKEN: engineToken,
        ANALYTICS_SQL_API_URL: `${engine.url}/client/v4`,
      },
    });
    try {
      console.log("report latency through the Worker, local engine, tenant t00 (median of 5 after 1 warm-up):");
      for (const report of REPORTS) {
        const target = `http://manhali.bench/api/${report}${report.includes("?") ? "&" : "?"}tenant_id=t00`;
        const times = [];
        for (let i = 0; i < 6; i++) {
          const started = performance.now();
          const response = await mf.dispatchFetch(target, { headers: { authorization: `Bearer ${SECRETS.AUTH_TOKEN}` } });
          const text = await response.text();
          if (response.status !== 200) throw new Error(`${report}: HTTP ${response.status} ${text}`);
          if (i > 0) times.push(performance.now() - started);
        }
        times.sort((a, b) => a - b);
        console.log(`  /api/${report.padEnd(32)} ${times[2].toFixed(0).padStart(5)} ms`);
      }
    } finally {
      await mf.dispose();
      await engine.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (!options.only || options.only === "collect") await benchCollect();
if (!options.only || options.only === "reports") await benchReports();
