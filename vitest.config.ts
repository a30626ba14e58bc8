import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/services/packages.ts", "test/services/scratch.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Tests start real servers (influxd, mosquitto, node-opcua, chromium); two cores take two files at a time.
    maxWorkers: 2,
    teardownTimeout: 20_000,
  },
});
