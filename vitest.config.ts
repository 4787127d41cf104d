import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/**/*.test.ts"],
          exclude: ["test/integration/**"],
          testTimeout: 60_000,
          // Vitest's default is one worker fewer than the cores, which on 2 cores is a single
          // worker: the unit files (searches, simulations, CLI subprocesses) then left a core
          // idle. The main process only hands out files and gathers results.
          maxWorkers: availableParallelism(),
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          globalSetup: ["test/integration/globalSetup.ts"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // One file at a time, after the unit files (vitest runs a project without file
          // parallelism as a group of its own, last): clusters and their timings are not shared.
          fileParallelism: false,
        },
      },
    ],
  },
});
