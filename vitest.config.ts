import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The JSON report feeds the one-line summary CI reads (scripts/test-summary.mjs).
    reporters: ["default", ["json", { outputFile: ".reports/vitest.json" }]],
    testTimeout: 15_000,
    // Servers bind ephemeral ports on 127.0.0.1; files run in parallel workers safely.
    pool: "forks",
  },
});
