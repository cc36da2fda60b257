import { defineConfig, devices } from "@playwright/test";
import type { ScriptMode } from "./e2e/fixtures.js";
import { scaledUnavailable } from "./scripts/scaled.mjs";

/**
 * Every spec runs three times against the todo demo, each project with its own server and
 * SQLite file: JavaScript off (the baseline), on (the client script), and on with the
 * client script held back so the user acts before it loads (the no-JS path must still work).
 */
// E2E_PORT_BASE moves the three servers, so two checkouts can run the suite at once.
const BASE = Number(process.env.E2E_PORT_BASE ?? 3101);
const MODES: { mode: ScriptMode; port: number }[] = [
  { mode: "off", port: BASE },
  { mode: "on", port: BASE + 1 },
  { mode: "delayed", port: BASE + 2 },
];

/**
 * The same specs, JavaScript off and on, through nginx in front of three instances of the
 * demo on PostgreSQL (`npm run start:scaled`, one set-up on its own port and data directory).
 * The two projects share its database, so "on" runs after "off" (the profile is one row).
 * Without nginx and PostgreSQL (installed with apt as root), their tests are skipped with
 * the reason. Workers load this file again: the answer travels in the environment.
 */
const SCALED_PORT = BASE + 10;
process.env.ISOFORM_SCALED_UNAVAILABLE ??= scaledUnavailable({ install: true }) ?? "";
const scaledMissing = process.env.ISOFORM_SCALED_UNAVAILABLE || undefined;
if (scaledMissing && !process.env.TEST_WORKER_INDEX) console.warn(`playwright: the scaled-js-* projects are skipped: ${scaledMissing}`);

// No test tool may download a browser here: Debian's Chromium is installed by scripts/setup.mjs.
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

export default defineConfig({
  testDir: "e2e",
  fullyParallel: true,
  forbidOnly: !!process.env.CI,
  retries: 0,
  workers: 2,
  timeout: 30_000,
  expect: { timeout: 5_000 },
  reporter: [["list"], ["json", { outputFile: ".reports/playwright.json" }]],
  use: {
    ...devices["Desktop Chrome"],
    launchOptions: { executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: CHROMIUM_ARGS },
    trace: "retain-on-failure",
  },
  projects: [
    ...MODES.map(({ mode, port }) => ({
      name: `js-${mode}`,
      use: { baseURL: `http://127.0.0.1:${port}`, javaScriptEnabled: mode !== "off", scriptMode: mode },
    })),
    ...(["off", "on"] as const).map((mode) => ({
      name: `scaled-js-${mode}`,
      use: { baseURL: `http://127.0.0.1:${SCALED_PORT}`, javaScriptEnabled: mode === "on", scriptMode: mode, unavailable: scaledMissing },
      dependencies: mode === "on" ? ["scaled-js-off"] : [],
    })),
  ],
  webServer: [
    ...MODES.map(({ mode, port }) => ({
      // A fresh database per run and per project, so projects never see each other's todos.
      command: `rm -rf .reports/e2e-data/${mode} && tsx examples/todo/main.ts`,
      url: `http://127.0.0.1:${port}/`,
      env: { PORT: String(port), ISOFORM_DATA_DIR: `.reports/e2e-data/${mode}`, ISOFORM_SECRET: "e2e-only-secret-not-for-production", NODE_ENV: "production" },
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: "ignore" as const,
      stderr: "pipe" as const,
    })),
    ...(scaledMissing
      ? []
      : [
          {
            command: "rm -rf .reports/e2e-data/scaled && node scripts/start-scaled.mjs",
            url: `http://127.0.0.1:${SCALED_PORT}/`,
            env: { PORT: String(SCALED_PORT), ISOFORM_INSTANCES: "3", ISOFORM_DATA_DIR: ".reports/e2e-data/scaled", ISOFORM_SECRET: "e2e-only-secret-not-for-production", NODE_ENV: "production" },
            reuseExistingServer: false,
            timeout: 120_000,
            stdout: "ignore" as const,
            stderr: "pipe" as const,
            // SIGTERM to its process group: the script stops nginx, the instances and PostgreSQL in turn.
            gracefulShutdown: { signal: "SIGTERM" as const, timeout: 30_000 },
          },
        ]),
  ],
});
