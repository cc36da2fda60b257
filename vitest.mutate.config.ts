import { defineConfig } from "vitest/config";
import base from "./vitest.config.js";

/**
 * The vitest config of `npm run mutate` (stryker.config.json) only: the suites of
 * vitest.config.ts, once, against the default adapter (express 5; the conformance projects of
 * the other adapters would run the same tests against the same mutated core once more each),
 * less the suites that spawn processes or need a build, which StrykerJS would run again for
 * many mutants. docs/mutation.md lists them and why. StrykerJS itself sets the pool (one
 * thread per worker) and turns coverage off.
 */
const { projects: _projects, ...test } = base.test ?? {};

export default defineConfig({
  test: {
    ...test,
    include: ["test/**/*.test.ts"],
    exclude: [
      "**/node_modules/**",
      // packs the tarball and installs it in scratch apps (npm, tsc): minutes per run
      "test/package.test.ts",
      // each runs servers in child processes (test/support/child-server*.ts)
      "test/fuzz-bodies.test.ts",
      "test/hostile-input.test.ts",
      // builds the browser bundle with esbuild; covers no mutated (server) module
      "test/client-size.test.ts",
      // load the built browser script (dist/browser, from `npm run build`), which the run
      // does not build; the helpers' markup under a mount path is pinned in helpers.test.ts
      "test/express-mount.test.ts",
      "test/adapters.test.ts",
      // starts PostgreSQL, nginx and three demo instances in child processes, then a load
      "test/scaled.test.ts",
    ],
    env: { ...test.env, ISOFORM_ADAPTER: "express5" },
    // Not the JSON summary of vitest.config.ts: that file is CI's (scripts/test-summary.mjs).
    reporters: ["default"],
  },
});
