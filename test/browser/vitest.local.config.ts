// Runs the tracker's node and browser tests on their own (the root config
// folds these in):  npx vitest run --config test/browser/vitest.local.config.ts
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    root: new URL("../..", import.meta.url).pathname,
    environment: "node",
    include: ["test/browser/**/*.test.ts", "test/node/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // One Chromium and one local stack at a time: the machine has two cores.
    fileParallelism: false,
  },
});
