import { defineConfig, devices } from "@playwright/test";
import type { ScriptMode } from "./e2e/fixtures.js";

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
  projects: MODES.map(({ mode, port }) => ({
    name: `js-${mode}`,
    use: { baseURL: `http://127.0.0.1:${port}`, javaScriptEnabled: mode !== "off", scriptMode: mode },
  })),
  webServer: MODES.map(({ mode, port }) => ({
    // A fresh database per run and per project, so projects never see each other's todos.
    command: `rm -rf .reports/e2e-data/${mode} && tsx examples/todo/main.ts`,
    url: `http://127.0.0.1:${port}/`,
    env: { PORT: String(port), ISOFORM_DATA_DIR: `.reports/e2e-data/${mode}`, ISOFORM_SECRET: "e2e-only-secret-not-for-production", NODE_ENV: "production" },
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: "ignore",
    stderr: "pipe",
  })),
});
