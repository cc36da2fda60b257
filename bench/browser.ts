import express from "express";
import { chromium } from "@playwright/test";
import { isoform, Registry, serverFn } from "../server/index.js";
import { listen } from "../test/support/listen.js";

/**
 * Submit → DOM update in Chromium: an action form enhanced by the client script versus a
 * hand-written `fetch` + `textContent` of the same result from the same endpoint. Timed in
 * the page (performance.now() at requestSubmit, a MutationObserver at the update), in
 * alternating rounds on two pages open side by side.
 */
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"];

const HAND_WRITTEN = `
  document.querySelector("form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const form = e.target;
    const res = await fetch(form.action, { method: "POST", body: new URLSearchParams(new FormData(form)), headers: { "x-isoform": "1", accept: "application/json" } });
    const value = await res.json();
    form.querySelector("output").textContent = value.title;
  });`;

/** One submission's times in ms: [submit→DOM, submit→request start, request, response→DOM]. */
type Timing = [number, number, number, number];

function measureInPage(n: number): Promise<Timing[]> {
  return (async () => {
    const form = document.querySelector("form")!;
    const out = form.querySelector("output")!;
    const input = form.querySelector("input[name=title]") as HTMLInputElement;
    const times: Timing[] = [];
    for (let i = 0; i < n; i++) {
      const expected = `title ${i} ${Math.random()}`;
      input.value = expected;
      const done = new Promise<number>((resolve) => {
        const observer = new MutationObserver(() => {
          if (out.textContent === expected) {
            observer.disconnect();
            resolve(performance.now());
          }
        });
        observer.observe(out, { childList: true, characterData: true, subtree: true });
      });
      // Resource timing splits the total; cleared each time so its 250-entry buffer never fills.
      performance.clearResourceTimings();
      const t0 = performance.now();
      form.requestSubmit();
      const t1 = await done;
      const r = performance.getEntriesByType("resource").find((e) => e.name.includes("/api/")) as PerformanceResourceTiming;
      times.push([t1 - t0, r.fetchStart - t0, r.responseEnd - r.fetchStart, t1 - r.responseEnd]);
    }
    return times;
  })();
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function browserLatency(rounds = 20, perRound = 5): Promise<{ lines: string[]; verdicts: string[] }> {
  const registry = new Registry();
  serverFn({ name: "echo_title", registry }, async (input) => ({ title: String(input.title) }));
  const app = express();
  app.use(isoform({ registry, secret: "bench", production: true }));
  const page = (script: string) => (_req: express.Request, res: express.Response) => {
    const f = res.locals.isoform;
    res.type("html").send(`<!doctype html><html lang="en"><title>bench</title>${f.form("echo_title")}<label>Title <input name="title"></label><output data-isoform-value="title"></output><button>Send</button></form>${script}`);
  };
  app.get("/isoform", (req, res) => page(res.locals.isoform.script())(req, res));
  app.get("/manual", page(`<script type="module">${HAND_WRITTEN}</script>`));
  const server = await listen(app);
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: CHROMIUM_ARGS });
  try {
    const enhanced = await browser.newPage();
    const manual = await browser.newPage();
    await enhanced.goto(server.url + "/isoform");
    await enhanced.waitForFunction(() => document.documentElement.hasAttribute("data-isoform-ready"));
    await manual.goto(server.url + "/manual");
    await enhanced.evaluate(measureInPage, 5); // warm-up
    await manual.evaluate(measureInPage, 5);
    const a: Timing[] = [];
    const b: Timing[] = [];
    for (let r = 0; r < rounds; r++) {
      a.push(...(await enhanced.evaluate(measureInPage, perRound)));
      b.push(...(await manual.evaluate(measureInPage, perRound)));
    }
    const col = (xs: Timing[], k: number) => median(xs.map((t) => t[k])).toFixed(2).padStart(k ? 14 : 8);
    const row = (label: string, xs: Timing[]) => `  ${label.padEnd(22)}${[0, 1, 2, 3].map((k) => col(xs, k)).join("")}`;
    const diff = median(a.map((t) => t[0])) - median(b.map((t) => t[0]));
    return {
      lines: [
        `\nbrowser: submit → DOM update, medians of ${a.length} submissions each (Chromium), ms`,
        `  ${"".padEnd(22)}   total    submit→fetch       request  response→DOM`,
        row("isoform action form", a),
        row("hand-written fetch", b),
        `  overhead              ${diff.toFixed(2).padStart(8)}`,
      ],
      verdicts: [`submit→DOM overhead: ${diff.toFixed(2)} ms (target ≤ 2) ${diff <= 2 ? "PASS" : "MISS"}`],
    };
  } finally {
    await browser.close();
    await server.close();
  }
}
