// The local stack: the local Analytics Engine (embedded ClickHouse) and the
// Worker under `wrangler dev`, wired together with development settings.
// Used by `bun run dev` (scripts/dev.mjs), the browser tests and the
// benchmarks, so that all three run exactly what a developer runs.
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Development defaults. Never use these tokens in production. */
export const DEV_VARS = {
  ENVIRONMENT: "development",
  ACCOUNT_ID: "local-account",
  AUTH_TOKEN: "dev-admin-token",
  INGEST_TOKEN: "dev-ingest-token",
  FINGERPRINT_SECRET: "dev-fingerprint-secret",
  CF_API_TOKEN: "dev-cf-api-token",
};

// No telemetry, no cf-object download, no update check: the stack runs offline.
export const OFFLINE_ENV = {
  WRANGLER_SEND_METRICS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  WRANGLER_HIDE_BANNER: "true",
};

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Keys set in `.dev.vars`, which take precedence over the development defaults. */
export function devVarsFile(root = ROOT) {
  const file = path.join(root, ".dev.vars");
  if (!existsSync(file)) return {};
  const vars = {};
  for (const line of readFileSync(file, "utf8").split(/\r?\n/)) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (match) vars[match[1]] = match[2].replace(/^"(.*)"$/, "$1");
  }
  return vars;
}

/**
 * Starts a child process in its own process group and resolves once
 * `ready()` says so. `stop()` ends the whole group: killing only the parent
 * would leave wrangler's workerd children running.
 */
function startProcess(name, command, args, { env, ready, timeoutMs = 60_000, quiet }) {
  const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env }, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const onData = (chunk) => {
    output = (output + chunk).slice(-20_000);
    if (!quiet) process.stdout.write(chunk);
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  let exited = false;
  const exit = new Promise((resolve) => child.once("exit", (code) => { exited = true; resolve(code); }));
  const stop = async () => {
    if (exited) return;
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {}
    const timer = setTimeout(() => { try { process.kill(-child.pid, "SIGKILL"); } catch {} }, 5_000);
    await exit;
    clearTimeout(timer);
  };
  const started = (async () => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (exited) throw new Error(`${name} exited during start-up:\n${output}`);
      if (await ready(output)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    await stop();
    throw new Error(`${name} did not start within ${timeoutMs} ms:\n${output}`);
  })();
  return { child, stop, started, output: () => output };
}

async function answers(url) {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

/** Starts the local Analytics Engine as its own process (chDB allows one data folder per process). */
export async function startEngine({ dataDir, port, token = DEV_VARS.CF_API_TOKEN, sampleEvery = 1, quiet = true } = {}) {
  port ??= await freePort();
  const url = `http://127.0.0.1:${port}`;
  const args = [path.join(ROOT, "local/analytics-engine/server.js"), "--port", String(port), "--data", dataDir, "--token", token, "--sample-every", String(sampleEvery)];
  const proc = startProcess("local Analytics Engine", process.execPath, args, { env: {}, quiet, ready: () => answers(`${url}/health`) });
  await proc.started;
  return { url, port, stop: proc.stop };
}

/** Starts the Worker under `wrangler dev` with the given variables. */
export async function startWorker({ port, vars, persistTo, quiet = true }) {
  port ??= await freePort();
  const url = `http://127.0.0.1:${port}`;
  const args = [
    path.join(ROOT, "node_modules/wrangler/bin/wrangler.js"), "dev",
    "--ip", "127.0.0.1", "--port", String(port),
    "--inspector-port", String(await freePort()),
    "--show-interactive-dev-session=false",
    "--log-level", quiet ? "error" : "info",
    ...(persistTo ? ["--persist-to", persistTo] : []),
    ...Object.entries(vars).flatMap(([key, value]) => ["--var", `${key}:${value}`]),
  ];
  const proc = startProcess("wrangler dev", process.execPath, args, { env: OFFLINE_ENV, quiet, ready: () => answers(`${url}/health`) });
  await proc.started;
  return { url, port, stop: proc.stop };
}

/**
 * The whole local stack. `vars` are merged over the development defaults and
 * the engine URLs; `respectDevVars` lets `.dev.vars` win (for `bun run dev`).
 */
export async function startStack({ dataDir, workerPort, enginePort, vars = {}, respectDevVars = false, quiet = true, sampleEvery = 1 } = {}) {
  dataDir ??= path.join(ROOT, ".data");
  const fromFile = respectDevVars ? devVarsFile() : {};
  // The engine must accept whatever SQL API token the Worker ends up with.
  const engineToken = fromFile.CF_API_TOKEN ?? vars.CF_API_TOKEN ?? DEV_VARS.CF_API_TOKEN;
  const engine = await startEngine({ dataDir: path.join(dataDir, "analytics-engine"), port: enginePort, token: engineToken, sampleEvery, quiet });
  let all = {
    ...DEV_VARS,
    ANALYTICS_SQL_API_URL: `${engine.url}/client/v4`,
    ANALYTICS_LOCAL_INGEST_URL: `${engine.url}/ingest`,
    ...vars,
  };
  // Keys in .dev.vars are left to wrangler, which reads that file itself.
  all = Object.fromEntries(Object.entries(all).filter(([key]) => !(key in fromFile)));
  let worker;
  try {
    worker = await startWorker({ port: workerPort, vars: all, persistTo: path.join(dataDir, "wrangler"), quiet });
  } catch (error) {
    await engine.stop();
    throw error;
  }
  return {
    workerUrl: worker.url,
    engineUrl: engine.url,
    async stop() {
      await worker.stop();
      await engine.stop();
    },
  };
}
