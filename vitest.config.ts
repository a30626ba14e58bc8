import { defineConfig } from "vitest/config";

// Training runs torch on both cores for minutes; beside it, the browser and demo tests' waits
// starve (CI saw 3 s page waits and a 60 s demo time out). These files run alone, after the rest.
const TRAINING = ["test/training-train.test.ts", "test/site-learning-week.test.ts"];

const timeouts = { testTimeout: 60_000, hookTimeout: 60_000 };

export default defineConfig({
  test: {
    globalSetup: ["test/services/packages.ts", "test/services/scratch.ts"],
    pool: "forks",
    // Tests start real servers (influxd, mosquitto, node-opcua, chromium); two cores take two files at a time.
    maxWorkers: 2,
    teardownTimeout: 20_000,
    projects: [
      { test: { name: "servers", include: ["test/**/*.test.ts"], exclude: TRAINING, ...timeouts, sequence: { groupOrder: 0 } } },
      { test: { name: "training", include: TRAINING, ...timeouts, fileParallelism: false, sequence: { groupOrder: 1 } } },
    ],
  },
});
