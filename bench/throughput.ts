import { encode as cborEncode } from "cbor-x";
import { load, type Measured, type Request } from "./load.js";
import { pinLoadGenerator, start, type Running, type Variant } from "./servers.js";

/**
 * Server throughput, side by side in one run: every variant serves the same endpoints in
 * its own process; they are loaded in turn, alternating, for several rounds, so drift on a
 * shared machine hits them all alike. Ratios are what to read; absolute numbers drift.
 */
const FORM = { "content-type": "application/x-www-form-urlencoded" };
const NAVIGATION = { ...FORM, "sec-fetch-mode": "navigate", "sec-fetch-site": "same-origin", "sec-fetch-dest": "document", accept: "text/html" };

export interface Scenario {
  name: string;
  request: Request;
  status: number;
  /** the isoform / hand-written pairs this scenario compares, with the target ratio */
  compare: { isoform: Variant; baseline: Variant; target: number }[];
}

export const SCENARIOS: Scenario[] = [
  {
    name: "url (enhanced/API)",
    request: { method: "POST", path: "/api/add_todo", headers: FORM, body: "title=Buy+milk&tags[0]=a" },
    status: 200,
    compare: [
      { isoform: "isoform-express", baseline: "express", target: 0.95 },
      { isoform: "isoform-node", baseline: "node", target: 0.8 },
      { isoform: "isoform-fetch", baseline: "hono", target: 0.8 },
    ],
  },
  {
    name: "no-JS form → 303",
    request: { method: "POST", path: "/api/add_todo", headers: NAVIGATION, body: "title=Buy+milk&_isoform_return=%2F" },
    status: 303,
    compare: [
      // The 0.9 is for isoform() against the hand-written express route; the
      // node:http pair keeps the 0.8 it has for the url endpoint.
      { isoform: "isoform-express", baseline: "express", target: 0.9 },
      { isoform: "isoform-node", baseline: "node", target: 0.8 },
      { isoform: "isoform-fetch", baseline: "hono", target: 0.8 },
    ],
  },
  {
    name: "get-json",
    request: { method: "GET", path: "/api/list_todos?limit=10" },
    status: 200,
    compare: [
      { isoform: "isoform-express", baseline: "express", target: 0.95 },
      { isoform: "isoform-node", baseline: "node", target: 0.8 },
      { isoform: "isoform-fetch", baseline: "hono", target: 0.8 },
    ],
  },
  {
    name: "json",
    request: { method: "POST", path: "/api/add_todo_json", headers: { "content-type": "application/json" }, body: JSON.stringify({ title: "Buy milk" }) },
    status: 200,
    compare: [
      { isoform: "isoform-express", baseline: "express", target: 0.95 },
      { isoform: "isoform-node", baseline: "node", target: 0.8 },
      { isoform: "isoform-fetch", baseline: "hono", target: 0.8 },
    ],
  },
  {
    name: "cbor",
    request: { method: "POST", path: "/api/add_todo_cbor", headers: { "content-type": "application/cbor", accept: "application/cbor" }, body: Buffer.from(cborEncode({ title: "Buy milk" })) },
    status: 200,
    compare: [
      { isoform: "isoform-express", baseline: "express", target: 0.95 },
      { isoform: "isoform-node", baseline: "node", target: 0.8 },
      { isoform: "isoform-fetch", baseline: "hono", target: 0.8 },
    ],
  },
];

const VARIANTS: Variant[] = ["isoform-express", "express", "isoform-node", "node", "isoform-fetch", "hono"];

export interface ThroughputOptions {
  rounds: number;
  seconds: number;
  /** only scenarios whose name contains this */
  only?: string;
}

export interface Row {
  scenario: string;
  variant: Variant;
  runs: Measured[];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function throughput({ rounds, seconds, only }: ThroughputOptions): Promise<{ lines: string[]; verdicts: string[] }> {
  const unpin = pinLoadGenerator();
  const servers = new Map<Variant, Running>();
  try {
    for (const v of VARIANTS) servers.set(v, await start(v));
    const lines: string[] = [];
    const verdicts: string[] = [];
    for (const sc of SCENARIOS.filter((s) => !only || s.name.includes(only))) {
      const rows = new Map<Variant, Measured[]>(VARIANTS.map((v) => [v, []]));
      const cpu = new Map<Variant, number[]>(VARIANTS.map((v) => [v, []]));
      // Warm-up: JIT and connections. Shorter warm-ups left CPU per request still falling
      // 10–20% across the measured rounds.
      for (const v of VARIANTS) await load(servers.get(v)!.url, sc.request, 1.5, sc.status);
      for (let r = 0; r < rounds; r++) {
        // Alternate the order each round so no variant always runs right after another.
        const order = r % 2 ? [...VARIANTS].reverse() : VARIANTS;
        for (const v of order) {
          const server = servers.get(v)!;
          const before = await server.cpu();
          const m = await load(server.url, sc.request, seconds, sc.status);
          rows.get(v)!.push(m);
          // The server's own CPU time per request: steadier than req/s when the load
          // generator shares the machine's two cores.
          cpu.get(v)!.push((await server.cpu() - before) / m.total);
        }
      }
      lines.push(`\n${sc.name}: ${sc.request.method} ${sc.request.path}  (${rounds} rounds × ${seconds} s, median)`);
      lines.push("  variant            req/s    p50 ms  p99 ms  CPU µs/req  unexpected");
      const rps = new Map<Variant, number>();
      for (const v of VARIANTS) {
        const runs = rows.get(v)!;
        rps.set(v, median(runs.map((m) => m.rps)));
        const bad = runs.reduce((n, m) => n + m.unexpected + m.errors, 0);
        lines.push(`  ${v.padEnd(16)} ${rps.get(v)!.toFixed(0).padStart(7)}  ${median(runs.map((m) => m.p50)).toFixed(1).padStart(6)}  ${median(runs.map((m) => m.p99)).toFixed(1).padStart(6)}  ${median(cpu.get(v)!).toFixed(1).padStart(10)}  ${String(bad).padStart(10)}`);
      }
      for (const c of sc.compare) {
        const ratio = rps.get(c.isoform)! / rps.get(c.baseline)!;
        const cpuRatio = median(cpu.get(c.baseline)!) / median(cpu.get(c.isoform)!);
        const verdict = `${sc.name}: ${c.isoform} / ${c.baseline} = ${ratio.toFixed(2)} req/s, ${cpuRatio.toFixed(2)} by CPU per request (target ≥ ${c.target}) ${ratio >= c.target ? "PASS" : "MISS"}`;
        lines.push(`  ratio ${verdict}`);
        verdicts.push(verdict);
      }
    }
    return { lines, verdicts };
  } finally {
    unpin();
    for (const s of servers.values()) s.stop();
  }
}
