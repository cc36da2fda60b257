import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { request } from "node:http";
import { fileURLToPath } from "node:url";

/**
 * Cold start and idle memory with plain `node`, as a user runs the installed package:
 * `cold/isoform.mjs` imports the compiled `isoform` (its node:http handler, one function),
 * `cold/bare.mjs` is the same endpoint on node:http and qs alone. Each is started afresh,
 * alternating, ROUNDS times: the time from spawn to the first answered request, and the
 * process's RSS after it has answered and sat idle for IDLE_MS. Medians, and the ratio
 * isoform / bare (goal: within 1.2× on both).
 */
const ROUNDS = 10;
const IDLE_MS = 500;
const TARGET = 1.2;

interface Sample {
  startMs: number;
  rssMb: number;
}

export async function cold(): Promise<{ lines: string[]; verdicts: string[] }> {
  const samples: Record<"isoform" | "bare", Sample[]> = { isoform: [], bare: [] };
  for (let i = 0; i < ROUNDS; i++) {
    const order = i % 2 ? (["bare", "isoform"] as const) : (["isoform", "bare"] as const);
    for (const name of order) samples[name].push(await startOnce(name));
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const iso = { start: med(samples.isoform.map((s) => s.startMs)), rss: med(samples.isoform.map((s) => s.rssMb)) };
  const bare = { start: med(samples.bare.map((s) => s.startMs)), rss: med(samples.bare.map((s) => s.rssMb)) };
  const startRatio = iso.start / bare.start;
  const rssRatio = iso.rss / bare.rss;
  const lines = [
    "",
    `cold start and idle RSS, plain node (${ROUNDS} fresh processes each, alternating, median)`,
    `  variant                      spawn → first answer    idle RSS`,
    `  isoform node:http (dist)     ${iso.start.toFixed(0).padStart(8)} ms         ${iso.rss.toFixed(1).padStart(6)} MB`,
    `  bare node:http + qs          ${bare.start.toFixed(0).padStart(8)} ms         ${bare.rss.toFixed(1).padStart(6)} MB`,
    `  ratio                        ${startRatio.toFixed(2).padStart(8)}            ${rssRatio.toFixed(2).padStart(6)}`,
  ];
  const verdict = (what: string, r: number) => `cold ${what}: isoform / bare node:http = ${r.toFixed(2)} (target ≤ ${TARGET}) ${r <= TARGET ? "PASS" : "MISS"}`;
  return { lines, verdicts: [verdict("start", startRatio), verdict("idle RSS", rssRatio)] };
}

function startOnce(name: "isoform" | "bare"): Promise<Sample> {
  const file = fileURLToPath(new URL(`./cold/${name}.mjs`, import.meta.url));
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [file], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", async (c: Buffer) => {
      out += c.toString();
      const port = /LISTENING (\d+)/.exec(out)?.[1];
      if (!port || out.includes("DONE")) return;
      out += "DONE";
      try {
        await ping(Number(port));
        const startMs = performance.now() - t0;
        await new Promise((r) => setTimeout(r, IDLE_MS));
        const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
        const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
        child.kill();
        resolve({ startMs, rssMb: rssKb / 1024 });
      } catch (err) {
        child.kill();
        reject(err);
      }
    });
    child.on("error", reject);
  });
}

function ping(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, method: "POST", path: "/api/ping", headers: { "content-type": "application/x-www-form-urlencoded" } }, (res) => {
      res.resume();
      res.on("end", () => (res.statusCode === 200 ? resolve() : reject(new Error(`ping answered ${res.statusCode}`))));
    });
    req.on("error", reject);
    req.end("x=1");
  });
}
