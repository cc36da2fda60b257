// Screens of the todo demo for readers who do not run it: `/` and `/profile` at 375 px and
// 1280 px wide, JavaScript on and off, plus the error summary after an empty submission,
// written to examples/todo/screenshots/ (linked from the README). Runs the demo in this process on a
// throw-away SQLite database, with Debian's Chromium (CHROMIUM_PATH, default /usr/bin/chromium).
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Page } from "@playwright/test";
import { createApp } from "../examples/todo/app.js";
import { openStore } from "../examples/todo/open-store.js";

const OUT = "examples/todo/screenshots";
const WIDTHS = [375, 1280] as const;

const dataDir = mkdtempSync(join(tmpdir(), "isoform-screens-"));
const { store } = await openStore({ dataDir });
for (const title of ["Buy milk", "Write the release notes", "Call the plumber about the kitchen tap", "Book train tickets"]) await store.add(title);
const first = (await store.list({ page: 1, size: 50 })).todos[0];
if (first) await store.toggle(first.id);
await store.saveProfile({ name: "Ada Lovelace", email: "ada@example.com", address: { street: "12 St James's Square", city: "London" }, tags: ["maths", "engines"] });

const app = createApp({ store, filesDir: dataDir, secret: "screenshots-only" });
const server = app.listen(0, "127.0.0.1");
await new Promise((r) => server.once("listening", r));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

mkdirSync(OUT, { recursive: true });
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu"] });
const written: string[] = [];
try {
  for (const js of [true, false]) {
    for (const width of WIDTHS) {
      const context = await browser.newContext({ viewport: { width, height: width < 600 ? 800 : 900 }, javaScriptEnabled: js, deviceScaleFactor: 1 });
      const page = await context.newPage();
      const shot = async (name: string) => {
        const file = join(OUT, `${name}-${width}-js-${js ? "on" : "off"}.png`);
        await page.screenshot({ path: file, fullPage: true });
        written.push(file);
      };
      await open(page, `${base}/`, js);
      await shot("todos");
      // An empty submission: the error summary, focused, and the field's own error.
      await page.locator("#add-todo button[type=submit]").click();
      await page.locator(".isoform-summary:not([hidden])").waitFor();
      await shot("todos-error");
      await open(page, `${base}/profile`, js);
      await shot("profile");
      await context.close();
    }
  }
} finally {
  await browser.close();
  server.close();
  await store.close();
  rmSync(dataDir, { recursive: true, force: true });
}
console.log(`screenshots: ${written.length} files in ${OUT}/\n${written.map((f) => "  " + f).join("\n")}`);

async function open(page: Page, url: string, js: boolean): Promise<void> {
  await page.goto(url);
  if (js) await page.waitForFunction(() => document.documentElement.hasAttribute("data-isoform-ready"));
}
