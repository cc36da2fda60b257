import { spawn, type ChildProcess } from "node:child_process";
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { connect } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ChildMode } from "./child-server-main.js";

export type { ChildMode };

/**
 * A test server in a child process (test/support/child-server-main.ts), so that an input
 * that crashes the server or hangs it shows as a failed test, not as a dead or stuck
 * test runner. Every request helper here has a timeout.
 */
export interface ChildServer {
  mode: ChildMode;
  url: string;
  origin: string;
  port: number;
  pid: number;
  /** true while the process has neither exited nor been killed */
  alive(): boolean;
  /** the last 64 KB the child wrote to stderr */
  stderr(): string;
  /** how the child ended ("" while it runs), e.g. "exit code 1" or "signal SIGKILL" */
  exitReason(): string;
  /** stops the child (SIGTERM, then SIGKILL after 2 s) */
  stop(): Promise<void>;
}

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const MAIN = join("test", "support", "child-server-main.ts");
const STDERR_KEEP = 64 * 1024;
/** Every child ever started by this process, so none outlives it. */
const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/**
 * Starts the test server in a child process (`node --import tsx`, NODE_ENV=production) and
 * resolves once it listens. The heap is capped so that a body that makes the server
 * allocate without bound ends it quickly (and shows as a crash) rather than taking the
 * test machine's memory.
 */
export function startChildServer(
  mode: ChildMode = "express",
  { startTimeoutMs = 30_000, maxOldSpaceMb = 1024, env = {} as Record<string, string> } = {},
): Promise<ChildServer> {
  const child = spawn(process.execPath, [`--max-old-space-size=${maxOldSpaceMb}`, "--import", "tsx", MAIN, mode], {
    cwd: ROOT,
    env: { ...process.env, ...env, NODE_ENV: "production" },
    stdio: ["pipe", "pipe", "pipe"],
  });
  running.add(child);
  let stderr = "";
  let exitReason = "";
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (s: string) => {
    stderr += s;
    if (stderr.length > STDERR_KEEP) stderr = stderr.slice(-STDERR_KEEP);
  });
  child.on("exit", (code, signal) => {
    exitReason = signal ? `signal ${signal}` : `exit code ${code}`;
    running.delete(child);
  });
  // The child exits when this pipe closes; writing nothing keeps it open.
  child.stdin!.on("error", () => {});

  return new Promise((resolve, reject) => {
    let stdout = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`child server (${mode}) did not listen within ${startTimeoutMs} ms; stderr:\n${stderr}`));
    }, startTimeoutMs);
    const onExit = () => {
      clearTimeout(timer);
      reject(new Error(`child server (${mode}) ended before listening (${exitReason}); stderr:\n${stderr}`));
    };
    child.once("exit", onExit);
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", function onData(s: string) {
      stdout += s;
      const m = /^LISTENING (\d+)$/m.exec(stdout);
      if (!m) return;
      child.stdout!.off("data", onData);
      child.stdout!.resume(); // keep draining whatever else it prints
      clearTimeout(timer);
      child.off("exit", onExit);
      const port = Number(m[1]);
      const origin = `http://127.0.0.1:${port}`;
      const alive = () => child.exitCode === null && child.signalCode === null;
      resolve({
        mode,
        url: origin,
        origin,
        port,
        pid: child.pid!,
        alive,
        stderr: () => stderr,
        exitReason: () => exitReason,
        stop: () =>
          new Promise<void>((done) => {
            if (!alive()) return done();
            const kill = setTimeout(() => child.kill("SIGKILL"), 2000);
            child.once("exit", () => {
              clearTimeout(kill);
              done();
            });
            child.kill("SIGTERM");
          }),
      });
    });
  });
}

// ---------------------------------------------------------------------------------------
// Requests, each bounded in time
// ---------------------------------------------------------------------------------------

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
  /** milliseconds from sending to the end of the answer */
  ms: number;
}

export interface SendInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** rejects when the whole answer has not arrived in this time (default 5000) */
  timeoutMs?: number;
}

/**
 * One request over a fresh connection with exactly the headers given (plus Content-Length
 * for a body), rejecting if the answer takes longer than `timeoutMs`.
 */
export function send(url: string, init: SendInit = {}): Promise<Answer> {
  const timeoutMs = init.timeoutMs ?? 5000;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const headers = { ...(init.headers ?? {}) };
    const body = typeof init.body === "string" ? Buffer.from(init.body) : init.body;
    if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === "content-length")) headers["content-length"] = String(body.length);
    let settled = false;
    const finish = (err: Error | undefined, answer?: Answer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(answer!);
    };
    const outgoing = httpRequest(url, { method: init.method ?? "GET", headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const buf = Buffer.concat(chunks);
        finish(undefined, { status: res.statusCode ?? 0, headers: res.headers, body: buf, text: buf.toString("utf8"), ms: performance.now() - started });
      });
      res.on("error", (err) => finish(err));
      res.on("aborted", () => finish(new Error("the answer was cut off")));
    });
    const timer = setTimeout(() => {
      finish(new Error(`${init.method ?? "GET"} ${url}: no answer within ${timeoutMs} ms`));
      outgoing.destroy();
    }, timeoutMs);
    outgoing.on("error", (err) => finish(err));
    // A body the server refused early may be cut off by it; the answer still arrives.
    if (body !== undefined) outgoing.end(body);
    else outgoing.end();
  });
}

export type RawStep = Buffer | string | { pauseMs: number };

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  text: string;
  /** milliseconds from the first byte sent to the end of the answer */
  ms: number;
}

/**
 * Writes bytes to a raw socket step by step (pauses in between), as a slow or broken
 * client would, and reads one HTTP/1.1 answer (Content-Length or connection close).
 * Rejects if no complete answer arrives within `timeoutMs`.
 */
export function rawExchange(port: number, steps: RawStep[], timeoutMs = 5000): Promise<RawAnswer> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    let settled = false;
    const pauses: NodeJS.Timeout[] = [];
    const finish = (err: Error | undefined, answer?: RawAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      pauses.forEach(clearTimeout);
      socket.destroy();
      if (err) reject(err);
      else resolve(answer!);
    };
    const tryParse = (closed: boolean): RawAnswer | undefined => {
      const all = Buffer.concat(chunks);
      const end = all.indexOf("\r\n\r\n");
      if (end < 0) return undefined;
      const [statusLine, ...lines] = all.subarray(0, end).toString("latin1").split("\r\n");
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(":");
        if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const body = all.subarray(end + 4);
      const length = headers["content-length"] === undefined ? undefined : Number(headers["content-length"]);
      if (length !== undefined ? body.length < length : !closed) return undefined;
      const b = length !== undefined ? body.subarray(0, length) : body;
      return { status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? "")?.[1] ?? 0), headers, body: b, text: b.toString("utf8"), ms: performance.now() - started };
    };
    socket.on("data", (c: Buffer) => {
      chunks.push(c);
      const answer = tryParse(false);
      if (answer) finish(undefined, answer);
    });
    socket.on("end", () => {
      const answer = tryParse(true);
      finish(answer ? undefined : new Error(`the connection closed without a complete answer (${Buffer.concat(chunks).length} bytes read)`), answer);
    });
    socket.on("error", (err) => finish(err));
    const timer = setTimeout(() => finish(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    socket.once("connect", () => {
      let delay = 0;
      for (const step of steps) {
        if (typeof step === "object" && "pauseMs" in step) {
          delay += step.pauseMs;
          continue;
        }
        const bytes = typeof step === "string" ? Buffer.from(step, "latin1") : step;
        if (delay === 0) socket.write(bytes);
        else pauses.push(setTimeout(() => !socket.destroyed && socket.write(bytes), delay));
      }
    });
  });
}

// ---------------------------------------------------------------------------------------
// Health
// ---------------------------------------------------------------------------------------

/**
 * Why the child is not healthy, or undefined when it is: alive, and answering a valid
 * url-encoded POST to echo_url with 200 and the echo within `timeoutMs`.
 */
export async function unhealthy(child: ChildServer, timeoutMs = 1000): Promise<string | undefined> {
  if (!child.alive()) return `the child server died (${child.exitReason()}); stderr:\n${child.stderr().slice(-4000)}`;
  try {
    const res = await send(child.url + "/api/echo_url", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "title=still+here",
      timeoutMs,
    });
    if (res.status !== 200 || res.text !== '{"title":"still here"}') return `a valid request got ${res.status}: ${res.text.slice(0, 300)}`;
  } catch (err) {
    const why = child.alive() ? "the child server is alive but does not answer" : `the child server died (${child.exitReason()})`;
    return `${why}: ${(err as Error).message}; stderr:\n${child.stderr().slice(-4000)}`;
  }
  if (!child.alive()) return `the child server died (${child.exitReason()}); stderr:\n${child.stderr().slice(-4000)}`;
  return undefined;
}

export interface ChildStats {
  pid: number;
  mode: ChildMode;
  rss: number;
  heapUsed: number;
  prototypes: {
    polluted: string[];
    objectNamesSame: boolean;
    objectNamesAdded: string[];
    objectNamesRemoved: string[];
    objectValuesChanged: string[];
    arrayNamesSame: boolean;
    functionNamesSame: boolean;
    enumerableKeys: string[];
  };
}

/** Memory use and prototype integrity, as the child reports them. */
export async function childStats(child: ChildServer, timeoutMs = 2000): Promise<ChildStats> {
  const res = await send(child.url + "/_child/stats", { timeoutMs });
  if (res.status !== 200) throw new Error(`/_child/stats answered ${res.status}`);
  return JSON.parse(res.text) as ChildStats;
}

/**
 * A child server shared by the tests of a block, replaced when a test left it dead or
 * stuck, so that one crash fails one test rather than every test after it.
 */
export class ChildFixture {
  private current: ChildServer | undefined;
  constructor(readonly mode: ChildMode) {}

  get server(): ChildServer {
    if (!this.current) throw new Error("ChildFixture: call ready() first (in beforeEach)");
    return this.current;
  }

  /** A healthy child: the current one, or a fresh one if it died or stopped answering. */
  async ready(): Promise<ChildServer> {
    if (this.current && (await unhealthy(this.current, 1500)) === undefined) return this.current;
    if (this.current) {
      const old = this.current;
      this.current = undefined;
      await forceStop(old);
    }
    this.current = await startChildServer(this.mode);
    return this.current;
  }

  async close(): Promise<void> {
    if (this.current) await this.current.stop();
    this.current = undefined;
  }
}

async function forceStop(child: ChildServer): Promise<void> {
  if (!child.alive()) return;
  try {
    process.kill(child.pid, "SIGKILL");
  } catch {
    // already gone
  }
  await child.stop();
}
