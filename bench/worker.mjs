// Builds the Worker as `wrangler deploy` would (one ES module bundle) and runs
// it in Miniflare beside a hello-world Worker, in the same workerd instance,
// so that the two can be compared under the same load on the same cores.
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ROOT } from "../scripts/stack.mjs";

export async function bundleWorker() {
  const outfile = path.join(mkdtempSync(path.join(tmpdir(), "manhali-bench-")), "worker.mjs");
  await build({
    entryPoints: [path.join(ROOT, "src/index.ts")],
    bundle: true,
    format: "esm",
    platform: "browser",
    conditions: ["workerd", "worker", "browser"],
    target: "es2022",
    minify: true,
    outfile,
    logLevel: "warning",
  });
  return outfile;
}

/** Hosts: `manhali.bench` reaches the analytics Worker, `hello.bench` the hello-world one. */
export async function startBenchWorkers({ bindings }) {
  const scriptPath = await bundleWorker();
  const mf = new Miniflare({
    host: "127.0.0.1",
    port: 0,
    workers: [
      {
        name: "manhali",
        modules: true,
        scriptPath,
        modulesRoot: path.dirname(scriptPath),
        compatibilityDate: "2026-04-20",
        compatibilityFlags: ["nodejs_compat"],
        kvNamespaces: ["DOMAINS_KV"],
        analyticsEngineDatasets: { ANALYTICS: { dataset: "manhali_events" } },
        bindings,
        routes: ["manhali.bench/*"],
      },
      {
        name: "hello",
        modules: true,
        script: `export default { fetch() { return new Response("hello world"); } };`,
        compatibilityDate: "2026-04-20",
        routes: ["hello.bench/*"],
      },
    ],
  });
  const url = (await mf.ready).href.replace(/\/$/, "");
  return { mf, url };
}
