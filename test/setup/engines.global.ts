// Starts two local Analytics Engines for the Worker tests (one unsampled, one
// keeping 1 in 10 points, as Analytics Engine does under load) in their own
// processes, and hands their URLs to the tests through `inject`.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
// @ts-expect-error -- plain JavaScript module without declarations
import { startEngine } from "../../scripts/stack.mjs";

export const ENGINE_TOKEN = "test-cf-api-token";
export const SAMPLE_EVERY = 10;

declare module "vitest" {
  export interface ProvidedContext {
    engineUrl: string;
    sampledEngineUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const dir = mkdtempSync(path.join(tmpdir(), "manhali-engines-"));
  const [plain, sampled] = await Promise.all([
    startEngine({ dataDir: path.join(dir, "plain"), token: ENGINE_TOKEN }),
    startEngine({ dataDir: path.join(dir, "sampled"), token: ENGINE_TOKEN, sampleEvery: SAMPLE_EVERY }),
  ]);
  project.provide("engineUrl", plain.url);
  project.provide("sampledEngineUrl", sampled.url);
  return async () => {
    await Promise.all([plain.stop(), sampled.stop()]);
    rmSync(dir, { recursive: true, force: true });
  };
}
