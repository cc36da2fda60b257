import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { createInterface } from "node:readline";

export type Variant = "isoform-express" | "isoform-node" | "express" | "node" | "isoform-fetch" | "hono" | "isoform-upload" | "busboy-upload";

export interface Running {
  variant: Variant;
  url: string;
  child: ChildProcess;
  /** resident set size and V8 heap in use of the server process, in bytes, after a forced GC */
  memory(): Promise<{ rss: number; heap: number }>;
  /** CPU time (user + system) the server process has used so far, in µs */
  cpu(): Promise<number>;
  stop(): void;
}

/**
 * With two or more cores and `taskset`, servers run on core 0 and the load generator (this
 * process) on core 1: on a 2-core machine, letting the scheduler mix them moved a server's
 * CPU time per request by ±40% from one process to the next, drowning the differences
 * being measured.
 */
export const PINNED = availableParallelism() >= 2 && existsSync("/usr/bin/taskset");

/**
 * Pins this process (the load generator) to core 1 and returns the undo. Only while servers
 * are loaded: a browser launched from a pinned process inherits the one core, which made
 * every submission in the browser benchmark about four times slower.
 */
export function pinLoadGenerator(): () => void {
  if (!PINNED) return () => {};
  const pid = String(process.pid);
  // Restore the mask as it was (availableParallelism() counts only the pinned core by then).
  const mask = /mask:\s*([0-9a-f,]+)/i.exec(execFileSync("taskset", ["-p", pid], { encoding: "utf8" }))?.[1];
  execFileSync("taskset", ["-pc", "1", pid], { stdio: "ignore" });
  return () => {
    if (mask) execFileSync("taskset", ["-p", mask, pid], { stdio: "ignore" });
  };
}

/** Starts one benchmark server in its own process and waits for its port. */
export function start(variant: Variant, nodeArgs: string[] = []): Promise<Running> {
  const args = ["--expose-gc", ...nodeArgs, "--import", "tsx", "bench/server.ts", variant];
  const child = spawn(PINNED ? "taskset" : process.execPath, PINNED ? ["-c", "0", process.execPath, ...args] : args, {
    stdio: ["pipe", "pipe", "inherit"],
    env: { ...process.env, NODE_ENV: "production" },
  });
  const lines = createInterface({ input: child.stdout! });
  const waiters: ((line: string) => void)[] = [];
  lines.on("line", (line) => waiters.shift()?.(line));
  const next = () => new Promise<string>((resolve) => waiters.push(resolve));
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`bench server ${variant} exited with ${code}`)));
    void next().then((line) => {
      const port = /^port (\d+)$/.exec(line)?.[1];
      if (!port) return reject(new Error(`bench server ${variant} said "${line}"`));
      resolve({
        variant,
        url: `http://127.0.0.1:${port}`,
        child,
        memory: async () => {
          const answer = next();
          child.stdin!.write("memory\n");
          const [, rss, heap] = /^memory (\d+) (\d+)$/.exec(await answer) ?? [];
          return { rss: Number(rss), heap: Number(heap) };
        },
        cpu: async () => {
          const answer = next();
          child.stdin!.write("cpu\n");
          return Number(/^cpu (\d+)$/.exec(await answer)?.[1]);
        },
        stop: () => {
          child.removeAllListeners("exit");
          child.kill();
        },
      });
    });
  });
}
