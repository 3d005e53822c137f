// `bun run dev`: the local Analytics Engine and the Worker together, offline.
// Data lives in .data/ and survives a restart. Ctrl-C stops both.
import { execFileSync } from "node:child_process";
import path from "node:path";
import { ROOT, startStack } from "./stack.mjs";

execFileSync(process.execPath, [path.join(ROOT, "scripts/build-tracker.mjs")], { stdio: "inherit" });

const stack = await startStack({
  workerPort: Number(process.env.PORT ?? 8787),
  enginePort: Number(process.env.ENGINE_PORT ?? 8790),
  respectDevVars: true,
  quiet: false,
});

console.log(`
Manhali Analytics is running (offline):
  Worker                  ${stack.workerUrl}
  local Analytics Engine  ${stack.engineUrl}  (data in .data/)
  admin token             dev-admin-token   (development only; .dev.vars overrides)
  ingest token            dev-ingest-token  (development only; .dev.vars overrides)
Press Ctrl-C to stop.
`);

let stopping = false;
async function shutdown() {
  if (stopping) return;
  stopping = true;
  await stack.stop();
  process.exit(0);
}
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
