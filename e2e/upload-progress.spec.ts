import { readdirSync } from "node:fs";
import type { Page } from "@playwright/test";
import { test, expect, unique } from "./fixtures.js";

// The profile's attachments (issue 15): large files streamed to disk, with upload progress
// and cancel when JavaScript runs, and the same form without it. The uploads in progress live
// in the demo's data dir (playwright.config.ts: .reports/e2e-data/<mode>/uploads).
// One profile per server: serial, like e2e/profile-form.spec.ts.
test.describe.configure({ mode: "serial" });

const MB = 1024 * 1024;

async function fill(page: Page, name: string) {
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Email").fill("ada@example.com");
  await page.getByLabel("City").fill("London");
  await page.getByLabel(/^Password/).fill("correct horse");
}

const uploadsLeft = (mode: string) => readdirSync(`.reports/e2e-data/${mode}/uploads`).filter((n) => n.startsWith("isoform-upload-"));

/** Upload at `bytesPerSecond` (Chromium's network emulation throttles request bodies too). */
async function throttle(page: Page, bytesPerSecond: number) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: bytesPerSecond });
}

test.beforeEach(async ({}, testInfo) => {
  testInfo.skip(!testInfo.project.name.startsWith("js-"), "the data dir of the scaled demo is shared by its instances");
});

test("a 20 MB attachment: progress events reach 100% and the <progress> moves; the file is saved", async ({ page, open, scriptMode }) => {
  test.skip(scriptMode !== "on", "upload progress needs JavaScript");
  test.setTimeout(60_000);
  await open("/profile");
  await page.evaluate(() => {
    const w = window as unknown as { progress: { loaded: number; total: number }[]; bars: number[] };
    w.progress = [];
    w.bars = [];
    document.addEventListener("isoform:progress", (e) => {
      w.progress.push((e as CustomEvent).detail);
      const bar = document.querySelector<HTMLProgressElement>("[data-isoform-progress]")!;
      w.bars.push(bar.value / bar.max);
      // Kept across the navigation that follows the upload.
      sessionStorage.setItem("progress", JSON.stringify({ progress: w.progress, bars: w.bars }));
    });
  });
  await fill(page, unique("Grace"));
  const name = `${unique("video").replace(/\W+/g, "-")}.bin`;
  await page.locator("#attachments").setInputFiles({ name, mimeType: "application/octet-stream", buffer: Buffer.alloc(20 * MB, 7) });
  await throttle(page, 8 * MB);
  const started = Date.now();
  await page.getByRole("button", { name: "Save profile" }).click();
  await page.waitForURL(/\/profile\?saved=1$/, { timeout: 50_000 });
  const took = Date.now() - started;
  await expect(page.locator("#saved-attachments")).toContainText(`${name} (${20 * MB} bytes)`);
  // Read back from sessionStorage: the page has navigated since.
  const { progress, bars } = await page.evaluate(() => JSON.parse(sessionStorage.getItem("progress") ?? "{}"));
  console.log(`20 MB at 8 MB/s: ${took} ms, ${progress.length} progress events`);
  expect(progress.length).toBeGreaterThan(3);
  const last = progress.at(-1)!;
  expect(last.total).toBeGreaterThan(20 * MB);
  expect(last.loaded).toBe(last.total);
  // The bar moved through the upload, not only to its end.
  expect(bars.some((b: number) => b > 0.05 && b < 0.95)).toBe(true);
  expect(uploadsLeft(scriptMode)).toEqual([]);
});

test("cancel mid-upload: nothing is saved and no temporary file stays", async ({ page, open, scriptMode }) => {
  test.skip(scriptMode !== "on", "cancel needs JavaScript");
  test.setTimeout(60_000);
  await open("/profile");
  const before = await page.locator("#saved-attachments").textContent();
  await fill(page, unique("Barbara"));
  const name = `${unique("canceled").replace(/\W+/g, "-")}.bin`;
  await page.locator("#attachments").setInputFiles({ name, mimeType: "application/octet-stream", buffer: Buffer.alloc(20 * MB, 3) });
  await throttle(page, 2 * MB);
  await page.getByRole("button", { name: "Save profile" }).click();
  // Halfway or so, the upload is under way (its temporary file exists on the server).
  await expect.poll(() => page.locator("[data-isoform-progress]").evaluate((b: HTMLProgressElement) => b.value / b.max), { timeout: 20_000 }).toBeGreaterThan(0.2);
  expect(uploadsLeft(scriptMode).length).toBeGreaterThan(0);
  const events = page.evaluate(() => new Promise<string>((resolve) => document.addEventListener("isoform:error", (e) => resolve((e as CustomEvent).detail.error.message), { once: true })));
  await page.getByRole("button", { name: "Cancel upload" }).click();
  expect(await events).toBe("Canceled");
  await expect.poll(() => uploadsLeft(scriptMode), { timeout: 5_000 }).toEqual([]);
  await page.reload();
  await expect(page.locator("#saved-attachments")).toHaveText(before!);
});

test("without JavaScript, the same form saves attachments", async ({ page, open, scriptMode }) => {
  test.skip(scriptMode !== "off", "the JavaScript path is tested above");
  await open("/profile");
  await fill(page, unique("Katherine"));
  const names = [`${unique("a").replace(/\W+/g, "-")}.txt`, `${unique("b").replace(/\W+/g, "-")}.bin`];
  await page.locator("#attachments").setInputFiles([
    { name: names[0]!, mimeType: "text/plain", buffer: Buffer.from("hello") },
    { name: names[1]!, mimeType: "application/octet-stream", buffer: Buffer.alloc(3 * MB, 1) },
  ]);
  await page.getByRole("button", { name: "Save profile" }).click();
  await page.waitForURL(/\/profile\?saved=1$/);
  await expect(page.locator("#saved-attachments")).toContainText(`${names[0]} (5 bytes)`);
  await expect(page.locator("#saved-attachments")).toContainText(`${names[1]} (${3 * MB} bytes)`);
  expect(uploadsLeft(scriptMode)).toEqual([]);
});
