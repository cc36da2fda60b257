import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { runScaled, scaledUnavailable, type Scaled } from "../scripts/scaled.mjs";
import { load, type Measured, type Request } from "./load.js";
import { PINNED, pinLoadGenerator } from "./servers.js";

/**
 * The demo past one process, side by side in one run: the same adds (an enhanced POST
 * /api/add_todo, 64 connections) against the demo alone on SQLite (`npm start`), one
 * instance on PostgreSQL without a proxy, and nginx in front of one and of three instances
 * on PostgreSQL (`npm run start:scaled`). Everything on the server side (nginx, the
 * instances, PostgreSQL) shares core 0 and the load generator has core 1, as in the other
 * parts: on two cores the figures show what each layer costs, not how instances scale.
 */
const ADD: Request = { method: "POST", path: "/api/add_todo", headers: { "content-type": "application/x-www-form-urlencoded", "x-isoform": "1" }, body: "title=Buy+milk" };
const CONNECTIONS = 64;

interface Variant {
  name: string;
  url: string;
  /** pid whose process tree is the server side (for CPU per request) */
  root: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function scaled({ rounds = 3, seconds = 3 } = {}): Promise<{ lines: string[]; verdicts: string[] }> {
  const why = scaledUnavailable({ install: true });
  if (why) return { lines: [`\nscaled: skipped: ${why}`], verdicts: [`scaled: not measured (${why})`] };

  const dirs: string[] = [];
  const dir = (name: string) => {
    const d = join(tmpdir(), `isoform-bench-${name}-${process.pid}`);
    rmSync(d, { recursive: true, force: true });
    dirs.push(d);
    return d;
  };
  const cpus = PINNED ? "0" : undefined;
  let sqlite: { child: ChildProcess; url: string } | undefined;
  const setups: Scaled[] = [];
  const unpin = pinLoadGenerator();
  try {
    sqlite = await startSqliteDemo(dir("sqlite"), cpus);
    const [p1, p3] = await freePorts(2);
    const env = { NODE_ENV: "production", ISOFORM_SECRET: "bench-secret" };
    const one = await runScaled({ ...env, PORT: String(p1), ISOFORM_INSTANCES: "1", ISOFORM_DATA_DIR: dir("scaled-1") }, { cpus });
    setups.push(one);
    const three = await runScaled({ ...env, PORT: String(p3), ISOFORM_INSTANCES: "3", ISOFORM_DATA_DIR: dir("scaled-3") }, { cpus });
    setups.push(three);
    const variants: Variant[] = [
      { name: "sqlite, direct", url: sqlite.url, root: sqlite.child.pid! },
      // The instance of the one-instance set-up, without nginx: PostgreSQL's cost alone.
      // Its CPU is that instance's and PostgreSQL's (nginx sits idle meanwhile).
      { name: "postgres, direct", url: one.instances[0].url, root: one.pid },
      { name: "nginx + 1 instance", url: one.url, root: one.pid },
      { name: "nginx + 3 instances", url: three.url, root: three.pid },
    ];

    const runs = new Map<string, Measured[]>(variants.map((v) => [v.name, []]));
    const cpu = new Map<string, number[]>(variants.map((v) => [v.name, []]));
    for (const v of variants) await load(v.url, ADD, 1.5, 200, CONNECTIONS);
    for (let r = 0; r < rounds; r++) {
      for (const v of r % 2 ? [...variants].reverse() : variants) {
        const before = treeCpu(v.root);
        const m = await load(v.url, ADD, seconds, 200, CONNECTIONS);
        runs.get(v.name)!.push(m);
        cpu.get(v.name)!.push((treeCpu(v.root) - before) / m.total);
      }
    }

    const lines = [
      `\nscaled: the demo's add (POST /api/add_todo, enhanced), ${CONNECTIONS} connections  (${rounds} rounds × ${seconds} s, median)`,
      `  On ${PINNED ? "core 0 for the whole server side, core 1 for the load" : "this machine's cores, shared with the load"}: these figures show the cost of each layer, not scaling.`,
      "  variant                req/s    p50 ms  p99 ms  server CPU µs/req  errors",
    ];
    const rps = new Map<string, number>();
    let bad = 0;
    for (const v of variants) {
      const ms = runs.get(v.name)!;
      rps.set(v.name, median(ms.map((m) => m.rps)));
      const errors = ms.reduce((n, m) => n + m.errors + m.unexpected, 0);
      bad += errors;
      lines.push(
        `  ${v.name.padEnd(20)} ${rps.get(v.name)!.toFixed(0).padStart(7)}  ${median(ms.map((m) => m.p50)).toFixed(1).padStart(6)}  ${median(ms.map((m) => m.p99)).toFixed(1).padStart(6)}  ${median(cpu.get(v.name)!).toFixed(0).padStart(17)}  ${String(errors).padStart(6)}`,
      );
    }
    const base = rps.get("sqlite, direct")!;
    lines.push(`  ratio to sqlite, direct: ${variants.slice(1).map((v) => `${v.name} ${(rps.get(v.name)! / base).toFixed(2)}`).join(", ")}`);
    return { lines, verdicts: [`scaled: every answer 200 through nginx and directly (${bad} errors or other statuses) ${bad === 0 ? "PASS" : "MISS"}`] };
  } finally {
    unpin();
    for (const s of setups) await s.stop();
    sqlite?.child.kill();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

/** The demo as `npm start` runs it (SQLite), in its own process on a free port. */
function startSqliteDemo(dataDir: string, cpus: string | undefined): Promise<{ child: ChildProcess; url: string }> {
  const args = ["--import", "tsx", "examples/todo/main.ts"];
  const child = spawn(cpus ? "taskset" : process.execPath, cpus ? ["-c", cpus, process.execPath, ...args] : args, {
    env: { ...process.env, NODE_ENV: "production", PORT: "0", ISOFORM_DATA_DIR: dataDir, ISOFORM_SECRET: "bench-secret" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`the SQLite demo exited with ${code}`)));
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const port = /^isoform todo demo: http:\/\/127\.0\.0\.1:(\d+)\//.exec(line)?.[1];
      if (port) resolve({ child, url: `http://127.0.0.1:${port}` });
    });
  });
}

/**
 * CPU time (user + system, µs) used so far by `root` and every process below it: nginx and
 * its workers, the instances, PostgreSQL and its backends.
 */
function treeCpu(root: number): number {
  const stats = new Map<number, { ppid: number; ticks: number }>();
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      // Fields after the command name, which is in parentheses and may hold spaces.
      const text = readFileSync(`/proc/${pid}/stat`, "utf8");
      const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
      stats.set(Number(pid), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) });
    } catch {
      // ended meanwhile
    }
  }
  const inTree = (pid: number): boolean => {
    for (let p = pid, hops = 0; p > 1 && hops < 64; p = stats.get(p)?.ppid ?? 0, hops++) if (p === root) return true;
    return false;
  };
  let ticks = 0;
  for (const [pid, s] of stats) if (inTree(pid)) ticks += s.ticks;
  return (ticks * 1e6) / 100; // USER_HZ is 100 on Linux
}

async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise<ReturnType<typeof createServer>>((resolve) => {
      const s = createServer();
      s.listen(0, "127.0.0.1", () => resolve(s));
    })),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}
