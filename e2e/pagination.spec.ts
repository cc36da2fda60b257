import { spawn, type ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import { createInterface } from "node:readline";
import AxeBuilder from "@axe-core/playwright";
import type { Page } from "@playwright/test";
import { test, expect, unique } from "./fixtures.js";

// The todo list, 50 to a page, with JavaScript off, on, and held back. These tests need a
// list of a known length, so the file starts a demo of its own with a fresh database (the
// project's shared one holds the other specs' todos, and 120 more would push theirs off
// page 1), seeded with 120 todos over HTTP. They run in order, in one worker, on that server.
test.describe.configure({ mode: "default" });

const TOTAL = 120;
const title = (n: number) => `Seeded ${String(n).padStart(3, "0")}`;

let demo: { url: string; child: ChildProcess; dataDir: string } | undefined;

test.beforeAll(async ({}, testInfo) => {
  test.skip(
    testInfo.project.name.startsWith("scaled-"),
    "needs a database of its own, and the scaled set-up has one shared by every spec; the PostgreSQL store's paging is tested in test/demo-store.test.ts",
  );
  testInfo.setTimeout(60_000);
  const dataDir = `.reports/e2e-data/pagination-${testInfo.project.name}`;
  rmSync(dataDir, { recursive: true, force: true });
  demo = await startDemo(dataDir);
  for (let n = 1; n <= TOTAL; n++) {
    const res = await fetch(`${demo.url}/api/add_todo`, { method: "POST", body: new URLSearchParams({ title: title(n) }) });
    if (res.status !== 200) throw new Error(`seeding todo ${n}: ${res.status} ${await res.text()}`);
  }
});

test.afterAll(async () => {
  if (!demo) return;
  const { child, dataDir } = demo;
  demo = undefined;
  const ended = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await ended;
  rmSync(dataDir, { recursive: true, force: true });
});

/** The demo as `npm start` runs it, on a free port of 127.0.0.1; resolves once it serves. */
function startDemo(dataDir: string): Promise<{ url: string; child: ChildProcess; dataDir: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "examples/todo/main.ts"], {
    env: { ...process.env, PORT: "0", HOST: "127.0.0.1", ISOFORM_DATA_DIR: dataDir, ISOFORM_SECRET: "e2e-only-secret-not-for-production", NODE_ENV: "production" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (s: string) => (stderr = (stderr + s).slice(-8192)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the demo did not start in 30 s\n${stderr}`)), 30_000);
    child.once("exit", (code, signal) => reject(new Error(`the demo ended (${signal ?? `exit code ${code}`}) before serving\n${stderr}`)));
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const m = /^isoform todo demo: (http:\S+?)\/? /.exec(line);
      if (!m) return;
      clearTimeout(timer);
      resolve({ url: m[1], child, dataDir });
    });
  });
}

const url = (path: string) => `${demo!.url}${path}`;
const rows = (page: Page) => page.locator(".todos li");
const pager = (page: Page) => page.getByRole("navigation", { name: "Pages" });
const next = (page: Page) => pager(page).locator('a[rel="next"]');
const prev = (page: Page) => pager(page).locator('a[rel="prev"]');

async function expectPage(page: Page, n: number, count: number, total = TOTAL) {
  await expect(pager(page)).toContainText(`Page ${n} of 3`);
  await expect(rows(page)).toHaveCount(count);
  await expect(rows(page).first().locator(".title")).toHaveText(title((n - 1) * 50 + 1));
  await expect(page.locator("#list-heading")).toHaveText(`Your list (${total})`);
}

test("page 1 shows the first 50 todos, a Next link and no Previous", async ({ page, open }) => {
  await open(url("/"));
  await expectPage(page, 1, 50);
  await expect(rows(page).last().locator(".title")).toHaveText(title(50));
  await expect(next(page)).toHaveAccessibleName("Next");
  await expect(next(page)).toHaveAttribute("href", "/?page=2");
  await expect(prev(page)).toHaveCount(0);
});

test("page 3 shows the last 20 todos, a Previous link and no Next", async ({ page, open }) => {
  await open(url("/?page=3"));
  await expectPage(page, 3, 20);
  await expect(rows(page).last().locator(".title")).toHaveText(title(TOTAL));
  await expect(prev(page)).toHaveAccessibleName("Previous");
  await expect(prev(page)).toHaveAttribute("href", "/?page=2");
  await expect(next(page)).toHaveCount(0);
});

test("Next and Previous go from page to page, as plain links", async ({ page, open }) => {
  await open(url("/"));
  await next(page).click();
  await expect(page).toHaveURL(url("/?page=2"));
  await expectPage(page, 2, 50);
  await expect(prev(page)).toHaveAttribute("href", "/");
  await next(page).click();
  await expect(page).toHaveURL(url("/?page=3"));
  await expectPage(page, 3, 20);
  await prev(page).click();
  await expect(page).toHaveURL(url("/?page=2"));
  await prev(page).click();
  await expect(page).toHaveURL(url("/"));
  await expectPage(page, 1, 50);
});

test("a page out of range, or not a number, shows a page that exists", async ({ page }) => {
  for (const [asked, shown, count] of [["99", 3, 20], ["4", 3, 20], ["0", 1, 50], ["-2", 1, 50], ["abc", 1, 50], ["", 1, 50], ["2.5", 2, 50]] as const) {
    const res = await page.goto(url(`/?page=${asked}`), { waitUntil: "domcontentloaded" });
    expect(res?.status(), `?page=${asked}`).toBe(200);
    await expectPage(page, shown, count);
  }
  // The list's own refresh clamps the same way.
  const res = await page.request.get(url("/api/list_todos?page=99"));
  expect(await res.json()).toMatchObject({ page: 3, pages: 3, total: TOTAL });
});

test("a toggle on page 2 comes back to page 2", async ({ page, open, scriptMode }) => {
  await open(url("/?page=2"));
  if (scriptMode === "on") await page.evaluate(() => ((window as unknown as { marker: number }).marker = 1));
  const name = `Done: ${title(60)}`;
  await page.getByRole("button", { name }).click();
  await expect(page.getByRole("button", { name })).toHaveAttribute("aria-pressed", "true");
  await expect(page).toHaveURL(url("/?page=2"));
  await expectPage(page, 2, 50);
  // With the script, no navigation: htmx refreshed the list of page 2 in place.
  if (scriptMode === "on") expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(1);
  await page.getByRole("button", { name }).click();
  await expect(page.getByRole("button", { name })).toHaveAttribute("aria-pressed", "false");
});

test("adding a todo on page 2 comes back to page 2; the new todo is last, on page 3", async ({ page, open, scriptMode }) => {
  await open(url("/?page=2"));
  if (scriptMode === "on") await page.evaluate(() => ((window as unknown as { marker: number }).marker = 1));
  const added = unique("Paged");
  await page.getByLabel("New todo").fill(added);
  await page.getByRole("button", { name: "Add", exact: true }).click();
  // The count goes up in the heading: after the redirect (JS off, or before the script
  // loads), or from the list's refresh, which asked for page 2 again (JS on).
  await expect(page.locator("#list-heading")).toHaveText(`Your list (${TOTAL + 1})`);
  await expect(page).toHaveURL(url("/?page=2"));
  await expectPage(page, 2, 50, TOTAL + 1);
  if (scriptMode === "on") expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(1);
  else await expect(page.getByRole("status").filter({ hasText: added })).toHaveCount(1); // the PRG outcome

  // Deleting it from page 3 comes back to page 3, and leaves the list as it was.
  await next(page).click();
  await expectPage(page, 3, 21, TOTAL + 1);
  await expect(rows(page).last().locator(".title")).toHaveText(added);
  await page.getByRole("button", { name: `Delete: ${added}` }).click();
  await expect(page.locator("#list-heading")).toHaveText(`Your list (${TOTAL})`);
  // The deleted todo comes back as the result: its title fills the form's success text.
  if (scriptMode === "on") await expect(page.locator("[data-isoform-live]")).toHaveText(`“${added}” deleted`);
  await expect(page).toHaveURL(url("/?page=3"));
  await expectPage(page, 3, 20);
});

test("a page of the list fits a 375 px screen, and axe finds nothing on it", async ({ page, open, scriptMode }) => {
  await page.setViewportSize({ width: 375, height: 800 });
  await open(url("/?page=2"));
  const sideways = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(sideways).toBe(0);
  // axe runs as a script in the page (e2e/accessibility.spec.ts checks the JS-off markup another way).
  test.skip(scriptMode !== "on", "axe needs scripts in the page");
  const { violations } = await new AxeBuilder({ page }).analyze();
  expect(violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`)).toEqual([]);
});
