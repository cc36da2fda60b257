import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { createInterface } from "node:readline";

export type Variant = "isoform-express" | "isoform-node" | "express" | "node";

export interface Running {
  variant: Variant;
  url: string;
  child: ChildProcess;
  /** resident set size of the server process, after a forced GC */
  rss(): Promise<number>;
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
  execFileSync("taskset", ["-pc", "1", String(process.pid)], { stdio: "ignore" });
  return () => execFileSync("taskset", ["-pc", `0-${availableParallelism() - 1}`, String(process.pid)], { stdio: "ignore" });
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
        rss: async () => {
          const answer = next();
          child.stdin!.write("rss\n");
          return Number(/^rss (\d+)$/.exec(await answer)?.[1]);
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
