// Tests of the local Analytics Engine, run in Node (not workerd):
//   npx vitest run --config local/analytics-engine/vitest.config.js
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'engine',
    root: fileURLToPath(new URL('../..', import.meta.url)),
    environment: 'node',
    include: ['local/analytics-engine/**/*.test.js'],
    // chDB allows one data directory per process: every test file gets its
    // own process, and a file opens one engine at a time.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
