import { existsSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { Agent, request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runScaled, scaledUnavailable, type Scaled } from "../scripts/scaled.mjs";
import { formPost, navigationHeaders, request, type RawResponse } from "./support/request.js";

/**
 * The demo past one process, as `npm run start:scaled` runs it: a PostgreSQL cluster, three
 * instances sharing it and their secret, nginx in front on 127.0.0.1 (plain and TLS). The
 * script runs in a child process, exactly as a user starts it; everything here goes through
 * nginx unless it says otherwise. Needs Debian's nginx and PostgreSQL (installed with apt
 * when missing and run as root); skipped, with the reason, otherwise.
 */

const unavailable = scaledUnavailable({ install: true });
if (unavailable) console.warn(`test/scaled.test.ts is skipped: ${unavailable}`);

const INSTANCES = 3;
const LOAD = 50_000;
const CONCURRENCY = 64;
const FORM = { "content-type": "application/x-www-form-urlencoded" };
/** How long one load of LOAD requests may take; measured here: about 30 s on 2 cores. */
const LOAD_TIMEOUT = 240_000;

let scaled: Scaled;
let db: pg.Client;
let dataDir: string;
let ca: Buffer;

describe.skipIf(!!unavailable)(unavailable ? `scaled set-up (skipped: ${unavailable})` : "the demo on PostgreSQL behind nginx with three instances", () => {
  beforeAll(async () => {
    dataDir = join(tmpdir(), `isoform-scaled-${process.pid}-${Date.now().toString(36)}`);
    const [port, httpsPort] = await freePorts(2);
    scaled = await runScaled({
      PORT: String(port),
      HTTPS_PORT: String(httpsPort),
      ISOFORM_INSTANCES: String(INSTANCES),
      ISOFORM_DATA_DIR: dataDir,
      ISOFORM_SECRET: "scaled-test-secret-not-for-production",
      NODE_ENV: "production",
    });
    ca = readFileSync(join(dataDir, "nginx", "cert.pem"));
    db = new pg.Client({ connectionString: scaled.databaseUrl });
    await db.connect();
  }, 180_000);

  afterAll(async () => {
    await db?.end().catch(() => {});
    if (scaled) await scaled.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it("listens on 127.0.0.1 only and deals requests to every instance in turn", async () => {
    expect(scaled.instances.map((i) => i.name)).toEqual(["1", "2", "3"]);
    for (const url of [scaled.url, scaled.httpsUrl!, ...scaled.instances.map((i) => i.url)]) expect(new URL(url).hostname).toBe("127.0.0.1");
    const seen = new Set<string>();
    for (let i = 0; i < INSTANCES * 2; i++) {
      const res = await request(`${scaled.url}/`);
      expect(res.status).toBe(200);
      seen.add(String(res.headers["x-instance"]));
    }
    expect([...seen].sort()).toEqual(["1", "2", "3"]);
  });

  it("a no-JS submission handled by one instance shows its outcome on pages rendered by the others", async () => {
    const title = `Crossing ${Date.now()}`;
    // As the demo's form sends it: the return page and the success text the notice shows.
    const post = await formPost(`${scaled.url}/api/add_todo`, `title=${encodeURIComponent(title)}&_isoform_return=%2F&_isoform_success=${encodeURIComponent("“{title}” added")}`, navigationHeaders());
    expect(post.status).toBe(303);
    const cookie = outcomeCookie(post);
    const pages = await pagesFromEveryInstance(cookie);
    expect(pages.map((p) => p.instance).sort()).toEqual(["1", "2", "3"]);
    expect(pages.some((p) => p.instance !== post.headers["x-instance"])).toBe(true);
    for (const p of pages) expect(p.text).toContain(`“${title}” added</p>`);

    // A refused one too: the error next to the field and what was typed, on another instance.
    const typed = "x".repeat(201);
    const refused = await formPost(`${scaled.url}/api/add_todo`, `title=${typed}&_isoform_return=%2F`, navigationHeaders());
    expect(refused.status).toBe(303);
    for (const p of await pagesFromEveryInstance(outcomeCookie(refused))) {
      expect(p.text).toContain("Title is too long: at most 200 characters");
      expect(p.text).toContain(`value="${typed}"`);
    }
  });

  it("refuses a cross-site post behind the proxy, comparing Origin with the forwarded origin", async () => {
    const title = `Forged ${Date.now()}`;
    const body = `title=${encodeURIComponent(title)}`;
    const crossSite = await formPost(`${scaled.url}/api/add_todo`, body, navigationHeaders("cross-site", "http://evil.example"));
    expect(crossSite.status).toBe(403);
    // Forwarded headers come from nginx, never from the client: claiming the attacker's
    // host changes nothing.
    const spoofed = await formPost(`${scaled.url}/api/add_todo`, body, { origin: "http://evil.example", "x-forwarded-host": "evil.example" });
    expect(spoofed.status).toBe(403);
    expect((await db.query("SELECT count(*)::int AS n FROM todos WHERE title = $1", [title])).rows[0].n).toBe(0);

    // With only an Origin header (no Sec-Fetch-Site), the instance must know the origin the
    // browser used: http://127.0.0.1:<nginx's port>, not its own port; over TLS, https.
    expect((await formPost(`${scaled.url}/api/add_todo`, "title=Same+origin", { origin: scaled.url })).status).toBe(200);
    expect((await httpsPost(`${scaled.httpsUrl}/api/add_todo`, "title=Same+origin+TLS", { origin: scaled.httpsUrl! })).status).toBe(200);
    const downgraded = scaled.httpsUrl!.replace("https:", "http:");
    expect((await httpsPost(`${scaled.httpsUrl}/api/add_todo`, "title=Other+scheme", { origin: downgraded })).status).toBe(403);
  });

  it("marks the outcome cookie Secure when the proxy says https, and only then", async () => {
    const body = "title=Secure+or+not&_isoform_return=%2F";
    const overTls = await httpsPost(`${scaled.httpsUrl}/api/add_todo`, body, navigationHeaders("same-origin", scaled.httpsUrl));
    expect(overTls.status).toBe(303);
    expect(setCookie(overTls)).toMatch(/^isoform_outcome=[^;]+;.*; Secure$/);
    const plain = await formPost(`${scaled.url}/api/add_todo`, body, navigationHeaders());
    expect(setCookie(plain)).not.toContain("Secure");
    // A client claiming https on the plain port: nginx overwrites X-Forwarded-Proto.
    const claimed = await formPost(`${scaled.url}/api/add_todo`, body, { ...navigationHeaders(), "x-forwarded-proto": "https" });
    expect(setCookie(claimed)).not.toContain("Secure");
  });

  it(`takes ${LOAD} adds at concurrency ${CONCURRENCY} through nginx with no error, and stores exactly that many rows`, async () => {
    const before = await rowCount();
    const load = await addMany("a", LOAD);
    report("load", load);
    expect(load.failures).toEqual([]);
    expect(load.acked.size).toBe(LOAD);
    // Round-robin: each instance took about a third.
    for (const name of ["1", "2", "3"]) expect(load.byInstance.get(name) ?? 0).toBeGreaterThan(LOAD * 0.25);
    expect(await rowCount()).toBe(before + LOAD);
    const { rows } = await db.query<{ n: number; titles: number }>("SELECT count(*)::int AS n, count(DISTINCT title)::int AS titles FROM todos WHERE title LIKE 'load-a-%'");
    expect(rows[0]).toEqual({ n: LOAD, titles: LOAD });
    await expectAllStored(load.acked);
  }, LOAD_TIMEOUT);

  it("loses no acknowledged write when an instance is killed (SIGKILL) in the middle of the load", async () => {
    const victim = scaled.instances[1];
    const load = await addMany("b", LOAD, (done) => {
      if (done === LOAD / 2) process.kill(victim.pid, "SIGKILL");
    });
    report("load with an instance killed halfway", load);
    expect(isRunning(victim.pid)).toBe(false);
    // Only requests in flight when it died may fail: nginx sends every later one to the
    // others (a refused connection is retried; a POST already sent is never sent twice).
    expect(load.failures.length).toBeLessThanOrEqual(CONCURRENCY);
    expect(load.acked.size + load.failures.length).toBe(LOAD);
    expect(load.byInstance.get(victim.name) ?? 0).toBeLessThan(LOAD / 2);
    // Every write a client saw acknowledged is there, under the id it was given.
    await expectAllStored(load.acked);
    // And nothing is there twice, nor anything that was never sent.
    const { rows } = await db.query<{ n: number; titles: number }>("SELECT count(*)::int AS n, count(DISTINCT title)::int AS titles FROM todos WHERE title LIKE 'load-b-%'");
    expect(rows[0].n).toBe(rows[0].titles);
    expect(rows[0].n).toBeGreaterThanOrEqual(load.acked.size);
    expect(rows[0].n).toBeLessThanOrEqual(LOAD);
    // The others still serve.
    expect((await request(`${scaled.url}/api/list_todos`)).status).toBe(200);
  }, LOAD_TIMEOUT);

  it("stops everything it started on SIGTERM and removes the cluster", async () => {
    await db.end();
    const pids = [scaled.pid, scaled.nginxPid, scaled.postgresPid, ...scaled.instances.map((i) => i.pid)];
    expect(await scaled.stop()).toBe("exit code 0");
    for (const pid of pids) expect(isRunning(pid), `pid ${pid}`).toBe(false);
    expect(processesMentioning(dataDir)).toEqual([]);
    expect(existsSync(dataDir)).toBe(false);
  }, 60_000);
});

// ---------------------------------------------------------------- load

interface Load {
  /** title → id, for every add answered 200 with that title */
  acked: Map<string, number>;
  failures: string[];
  byInstance: Map<string, number>;
  ms: number;
}

/**
 * Sends `total` adds titled `load-<tag>-<n>` through nginx, CONCURRENCY at a time over
 * keep-alive connections, each once: a failure is counted, never retried.
 */
async function addMany(tag: string, total: number, onDone?: (done: number) => void): Promise<Load> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const url = new URL(`${scaled.url}/api/add_todo`);
  const load: Load = { acked: new Map(), failures: [], byInstance: new Map(), ms: 0 };
  let next = 0;
  let done = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < total) {
      const title = `load-${tag}-${next++}`;
      try {
        const res = await send(agent, url, `title=${title}`);
        const instance = String(res.headers["x-instance"]);
        load.byInstance.set(instance, (load.byInstance.get(instance) ?? 0) + 1);
        const todo = res.status === 200 ? (JSON.parse(res.text) as { id: number; title: string }) : undefined;
        if (todo?.title === title && Number.isInteger(todo.id)) load.acked.set(title, todo.id);
        else load.failures.push(`${title}: ${res.status} ${res.text.replace(/\s+/g, " ").slice(0, 80)}`);
      } catch (err) {
        load.failures.push(`${title}: ${(err as Error).message}`);
      }
      onDone?.(++done);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  load.ms = performance.now() - started;
  agent.destroy();
  return load;
}

function send(agent: Agent, url: URL, body: string): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: "POST", agent, headers: { ...FORM, "x-isoform": "1", "content-length": Buffer.byteLength(body) } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      res.on("error", reject);
    });
    req.setTimeout(30_000, () => req.destroy(new Error("no answer within 30 s")));
    req.on("error", reject);
    req.end(body);
  });
}

function report(what: string, load: Load) {
  const rps = (load.acked.size + load.failures.length) / (load.ms / 1000);
  const share = [...load.byInstance].sort().map(([k, n]) => `${k}: ${n}`).join(", ");
  console.log(
    `scaled ${what}: ${LOAD} requests at concurrency ${CONCURRENCY}, ${load.acked.size} acknowledged, ${load.failures.length} failed, ` +
      `${(load.ms / 1000).toFixed(1)} s (${rps.toFixed(0)} req/s); by instance ${share}` +
      (load.failures.length ? `; first failures: ${load.failures.slice(0, 3).join(" | ")}` : ""),
  );
}

// ---------------------------------------------------------------- database and processes

async function rowCount(): Promise<number> {
  return (await db.query<{ n: number }>("SELECT count(*)::int AS n FROM todos")).rows[0].n;
}

/** Every acknowledged title is in the table with the id its answer gave. */
async function expectAllStored(acked: Map<string, number>) {
  const { rows } = await db.query<{ id: number; title: string }>("SELECT id, title FROM todos WHERE title = ANY($1)", [[...acked.keys()]]);
  const stored = new Map(rows.map((r) => [r.title, r.id]));
  const missing = [...acked].filter(([title, id]) => stored.get(title) !== id);
  expect(missing.slice(0, 10)).toEqual([]);
  expect(missing.length).toBe(0);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Processes whose command line names `text` (nginx and PostgreSQL name their data directory). */
function processesMentioning(text: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
      if (cmd.includes(text)) found.push(`${pid}: ${cmd}`);
    } catch {
      // ended meanwhile
    }
  }
  return found;
}

// ---------------------------------------------------------------- HTTP

/** The page `/` with the outcome cookie, asked of nginx until every instance has answered once. */
async function pagesFromEveryInstance(cookie: string): Promise<{ instance: string; text: string }[]> {
  const pages = new Map<string, string>();
  for (let i = 0; i < INSTANCES * 4 && pages.size < INSTANCES; i++) {
    const res = await request(`${scaled.url}/`, { headers: { cookie, accept: "text/html" } });
    expect(res.status).toBe(200);
    pages.set(String(res.headers["x-instance"]), res.text);
  }
  return [...pages].map(([instance, text]) => ({ instance, text }));
}

function setCookie(res: RawResponse): string {
  const all = res.headers["set-cookie"] ?? [];
  const cookie = all.find((c) => c.startsWith("isoform_outcome="));
  if (!cookie) throw new Error(`no outcome cookie among ${JSON.stringify(all)}`);
  return cookie;
}

function outcomeCookie(res: RawResponse): string {
  return setCookie(res).split(";")[0];
}

/** A url-encoded POST to nginx's TLS port, trusting the certificate it was given for the run. */
function httpsPost(url: string, body: string, headers: Record<string, string>): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { method: "POST", ca, headers: { ...FORM, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const b = Buffer.concat(chunks);
        const text = b.toString("utf8");
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: b, text, json: () => JSON.parse(text) });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** Ports free on 127.0.0.1 right now (the OS picks them; nothing else should grab them in between). */
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
