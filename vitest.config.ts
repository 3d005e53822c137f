import { defineConfig } from "vitest/config";
import { cloudflareTest } from "@cloudflare/vitest-pool-workers";

// Secrets for the Worker under test. The SQL API token is the local engine's.
// Every var is set here so that a developer's .dev.vars cannot change what the tests see.
const TEST_VARS = {
  ENVIRONMENT: "production",
  ALLOW_UNREGISTERED_DOMAINS: "false",
  ANALYTICS_DATASET: "manhali_events",
  ANALYTICS_LOCAL_INGEST_URL: "",
  AUTH_TOKEN: "test-admin-token",
  INGEST_TOKEN: "test-ingest-token",
  FINGERPRINT_SECRET: "test-fingerprint-secret",
  CF_API_TOKEN: "test-cf-api-token",
  ACCOUNT_ID: "test-account",
};

export default defineConfig({
  test: {
    globalSetup: ["test/setup/engines.global.ts"],
    projects: [
      {
        // The Worker inside workerd with real KV; reports hit the real local engine.
        plugins: [
          cloudflareTest(({ inject }) => ({
            main: "./src/index.ts",
            wrangler: { configPath: "./wrangler.jsonc" },
            miniflare: {
              bindings: { ...TEST_VARS, ANALYTICS_SQL_API_URL: `${inject("engineUrl")}/client/v4` },
            },
          })),
        ],
        test: { name: "worker", include: ["test/worker/**/*.test.ts"], testTimeout: 30_000 },
      },
      {
        test: {
          name: "engine",
          environment: "node",
          include: ["local/analytics-engine/**/*.test.js"],
          pool: "forks",
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: "node",
          environment: "node",
          include: ["test/node/**/*.test.ts", "test/browser/**/*.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
