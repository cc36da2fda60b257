import { defineConfig } from "vitest/config";

/**
 * The HTTP suites that start their server with `startApp` (test/support/app.ts): together
 * they are the conformance suite of the adapters, run once per adapter below. Every other
 * suite runs once, in the "express5" project.
 */
const CONFORMANCE = [
  "test/adapters.test.ts",
  "test/boundaries.test.ts",
  "test/codecs.test.ts",
  "test/cross-origin.test.ts",
  "test/errors.test.ts",
  "test/limits.test.ts",
  "test/malformed.test.ts",
  "test/multipart.test.ts",
  "test/outcome-cookie.test.ts",
  "test/redirect-targets.test.ts",
  "test/server-fn.test.ts",
];
const OTHER_ADAPTERS = ["express4", "node", "fetch", "hono", "fastify"];
/**
 * The fetch handler under Bun and Deno (their binaries come from the `bun` and `deno` npm
 * packages): the suites whose server is all they need. The others also register functions
 * in the test's own process after the server starts, which a server in another runtime
 * cannot see.
 */
const RUNTIMES = ["bun", "deno"];
const RUNTIME_SUITES = ["test/adapters.test.ts", "test/boundaries.test.ts", "test/codecs.test.ts", "test/cross-origin.test.ts", "test/malformed.test.ts", "test/multipart.test.ts", "test/server-fn.test.ts"];

export default defineConfig({
  test: {
    // The JSON report feeds the one-line summary CI reads (scripts/test-summary.mjs).
    reporters: ["default", ["json", { outputFile: ".reports/vitest.json" }]],
    testTimeout: 15_000,
    // Servers bind ephemeral ports on 127.0.0.1; files run in parallel workers safely.
    pool: "forks",
    // Each project's name prefixes its tests in every report (`|fastify| test/errors.test.ts > …`).
    projects: [
      { extends: true, test: { name: "express5", include: ["test/**/*.test.ts"], env: { ISOFORM_ADAPTER: "express5" } } },
      ...OTHER_ADAPTERS.map((adapter) => ({
        extends: true as const,
        test: { name: adapter, include: CONFORMANCE, env: { ISOFORM_ADAPTER: adapter } },
      })),
      ...RUNTIMES.map((runtime) => ({
        extends: true as const,
        test: { name: runtime, include: RUNTIME_SUITES, env: { ISOFORM_ADAPTER: runtime } },
      })),
    ],
  },
});
