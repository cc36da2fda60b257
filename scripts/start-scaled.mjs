// `npm run start:scaled`: the todo demo as it runs past one process. A throw-away
// PostgreSQL cluster, ISOFORM_INSTANCES instances of the demo sharing it and ISOFORM_SECRET,
// and nginx in front of them on 127.0.0.1:PORT, round-robin. Ctrl-C (or SIGTERM) stops
// everything it started and removes the cluster.
//
//   PORT                 nginx's port on 127.0.0.1 (default 3000)
//   HTTPS_PORT           also TLS on this port, with a self-signed certificate made for the run
//   ISOFORM_INSTANCES    how many instances (default 3); each listens on a free port of 127.0.0.1
//   ISOFORM_SECRET       shared by the instances (default: a random one for this run)
//   ISOFORM_TRUST_PROXY  the instances' express `trust proxy` (default "loopback": nginx is local)
//   ISOFORM_DATA_DIR     where the cluster, nginx's files and the logs go (default data/scaled),
//                        created by this script and removed when it stops
//
// PostgreSQL listens on a Unix socket only, in a directory only its user (and root) can
// enter, and runs as a non-root user: `postgres` (from Debian's package) when run as root.
// Uses only Node built-ins.
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chownSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { NGINX, PG_BIN, scaledUnavailable } from "./scaled.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const MARKER = ".isoform-scaled";
/** Unix socket paths are limited to 107 bytes. */
const MAX_SOCKET_PATH = 107;

const say = (line) => console.log(`start-scaled: ${line}`);
/** For a mistake in the settings, before anything was started. */
const die = (message) => {
  console.error(`start-scaled: ${message}`);
  process.exit(1);
};

function portFrom(name, fallback) {
  const raw = process.env[name] ?? fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) die( `${name}=${raw} is not a port (1–65535)`);
  return port;
}

const port = portFrom("PORT", "3000");
const httpsPort = process.env.HTTPS_PORT ? portFrom("HTTPS_PORT") : undefined;
const count = Number(process.env.ISOFORM_INSTANCES ?? 3);
if (!Number.isInteger(count) || count < 1 || count > 32) die( `ISOFORM_INSTANCES=${process.env.ISOFORM_INSTANCES} is not a number of instances (1–32)`);
const secret = process.env.ISOFORM_SECRET || randomBytes(32).toString("base64url");
const trustProxy = process.env.ISOFORM_TRUST_PROXY ?? "loopback";
const dir = resolve(process.env.ISOFORM_DATA_DIR ?? "data/scaled");

/** Everything started, in the order to stop it: nginx first, the database last. */
const started = { nginx: undefined, instances: [], postgres: undefined };
let stopping = false;

for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => void stop(0, `${signal}: stopping`));
// Whatever happens to this script, no child outlives it.
process.on("exit", () => {
  for (const child of children()) if (alive(child)) child.kill("SIGKILL");
});
process.on("uncaughtException", (err) => void stop(1, err.stack ?? String(err)));

try {
  const why = scaledUnavailable({ install: true });
  if (why) die(why);
  await main();
} catch (err) {
  await stop(1, err instanceof Error ? err.message : String(err));
}

async function main() {
  if (!process.env.ISOFORM_SECRET) say("ISOFORM_SECRET is not set: the instances share a random one, for this run only");
  prepareDir();
  const pg = pgUser();
  const databaseUrl = await startPostgres(pg);
  say(`PostgreSQL 15 ready (pid ${started.postgres.pid}), on a Unix socket only; DATABASE_URL=${databaseUrl}`);

  const ports = await Promise.all(Array.from({ length: count }, (_, i) => startInstance(String(i + 1), databaseUrl)));
  for (const [i, p] of ports.entries()) say(`instance ${i + 1} http://127.0.0.1:${p}/ (pid ${started.instances[i].pid})`);

  await startNginx(ports);
  say(`nginx (pid ${started.nginx.pid}) in front of ${count} instance${count > 1 ? "s" : ""}, round-robin`);
  if (httpsPort) console.log(`  and https://127.0.0.1:${httpsPort}/ (a self-signed certificate: the browser will warn)`);
  console.log(`isoform todo demo, ${count} instance${count > 1 ? "s" : ""} behind nginx: http://127.0.0.1:${port}/`);
  console.log("Ctrl-C stops everything and removes the database.");
}

// ---------------------------------------------------------------- data directory

/** A fresh directory of our own: a leftover one of ours is removed; anything else is left alone. */
function prepareDir() {
  if (existsSync(dir)) {
    if (existsSync(join(dir, MARKER))) rmSync(dir, { recursive: true, force: true });
    else if (readdirSync(dir).length > 0) die(`${dir} exists and was not made by this script; set ISOFORM_DATA_DIR to a new directory`);
  }
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  writeFileSync(join(dir, MARKER), "made by scripts/start-scaled.mjs; removed when it stops\n");
  const socket = join(dir, "pg-socket", ".s.PGSQL.5432");
  if (Buffer.byteLength(socket) > MAX_SOCKET_PATH) throw new Error(`${socket} is too long for a Unix socket; set ISOFORM_DATA_DIR to a shorter path`);
}

// ---------------------------------------------------------------- PostgreSQL

/** The user PostgreSQL runs as: root may not run it, so `postgres` (or `nobody`) when we are root. */
function pgUser() {
  if (process.getuid() !== 0) return undefined;
  const users = readFileSync("/etc/passwd", "utf8").split("\n").map((l) => l.split(":"));
  const user = users.find((u) => u[0] === "postgres") ?? users.find((u) => u[0] === "nobody");
  if (!user) throw new Error("running as root, and neither a postgres nor a nobody user exists to run PostgreSQL as");
  const pg = { name: user[0], uid: Number(user[2]), gid: Number(user[3]) };
  // It must be able to reach the data directory through every directory above it.
  for (let d = dirname(dir); ; d = dirname(d)) {
    const st = statSync(d);
    const searchable = st.mode & 0o001 || (st.uid === pg.uid && st.mode & 0o100) || (st.gid === pg.gid && st.mode & 0o010);
    if (!searchable) throw new Error(`PostgreSQL runs as ${pg.name}, who cannot enter ${d}; set ISOFORM_DATA_DIR to a directory it can reach (e.g. under /tmp)`);
    if (d === "/") break;
  }
  return pg;
}

async function startPostgres(pg) {
  const data = join(dir, "pg");
  const socketDir = join(dir, "pg-socket");
  mkdirSync(data, { mode: 0o700 });
  mkdirSync(socketDir, { mode: 0o700 });
  if (pg) for (const d of [data, socketDir]) chownSync(d, pg.uid, pg.gid);
  const as = pg ? { uid: pg.uid, gid: pg.gid } : {};
  // Trust on the socket is safe here: no TCP listener, and the socket's directory is 0700.
  execFileSync(`${PG_BIN}/initdb`, ["-D", data, "-U", "isoform", "--auth=trust", "--encoding=UTF8", "--no-locale", "--no-sync"], {
    ...as,
    cwd: data,
    stdio: ["ignore", "ignore", "pipe"],
  });
  const log = join(dir, "postgres.log");
  const logFd = openSync(log, "a");
  const child = spawn(`${PG_BIN}/postgres`, ["-D", data, "-c", "listen_addresses=", "-c", `unix_socket_directories=${socketDir}`, "-c", "unix_socket_permissions=0700"], {
    ...as,
    cwd: data,
    stdio: ["ignore", "ignore", logFd],
  });
  closeSync(logFd);
  started.postgres = child;
  watch(child, () => stop(1, `PostgreSQL stopped; its log:\n${tail(log)}`));
  await waitFor(() => run(`${PG_BIN}/pg_isready`, ["-q", "-h", socketDir, "-U", "isoform", "-d", "postgres"]), 30_000, () => `PostgreSQL did not start; its log:\n${tail(log)}`);
  execFileSync(`${PG_BIN}/createdb`, ["-h", socketDir, "-U", "isoform", "isoform"], { stdio: ["ignore", "ignore", "inherit"] });
  return `postgresql://isoform@/isoform?host=${encodeURIComponent(socketDir)}`;
}

// ---------------------------------------------------------------- the demo's instances

/** Starts one instance on a free port of 127.0.0.1 and resolves with the port it printed. */
function startInstance(name, databaseUrl) {
  const child = spawn(process.execPath, ["--import", "tsx", "examples/todo/main.ts"], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: process.env.NODE_ENV ?? "production",
      HOST: "127.0.0.1",
      PORT: "0",
      DATABASE_URL: databaseUrl,
      ISOFORM_SECRET: secret,
      ISOFORM_TRUST_PROXY: trustProxy,
      ISOFORM_INSTANCE: name,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  started.instances.push(child);
  createInterface({ input: child.stderr }).on("line", (line) => console.error(`[instance ${name}] ${line}`));
  return new Promise((resolveReady, reject) => {
    let ready = false;
    const timer = setTimeout(() => reject(new Error(`instance ${name} did not start within 60 s`)), 60_000);
    watch(child, (how) => {
      clearTimeout(timer);
      if (!ready) return reject(new Error(`instance ${name} ended (${how}) while starting`));
      // Once serving, nginx sends its share to the others; without any, there is nothing to serve.
      if (started.instances.every((c) => !alive(c))) void stop(1, "every instance has stopped");
      else say(`instance ${name} ended (${how}); nginx sends its requests to the others`);
    });
    createInterface({ input: child.stdout }).on("line", (line) => {
      const m = /^isoform todo demo: http:\/\/127\.0\.0\.1:(\d+)\//.exec(line);
      if (m && !ready) {
        ready = true;
        clearTimeout(timer);
        resolveReady(Number(m[1]));
      }
    });
  });
}

// ---------------------------------------------------------------- nginx

async function startNginx(ports) {
  const prefix = join(dir, "nginx");
  mkdirSync(join(prefix, "tmp"), { recursive: true });
  let tls = "";
  if (httpsPort) {
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
      "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
      "-keyout", join(prefix, "key.pem"), "-out", join(prefix, "cert.pem")], { stdio: ["ignore", "ignore", "pipe"] });
    tls = `
    listen 127.0.0.1:${httpsPort} ssl;
    ssl_certificate ${join(prefix, "cert.pem")};
    ssl_certificate_key ${join(prefix, "key.pem")};`;
  }
  const conf = join(prefix, "nginx.conf");
  writeFileSync(conf, `# Written by scripts/start-scaled.mjs for one run; removed with ${dir}.
daemon off;
worker_processes auto;
pid ${join(prefix, "nginx.pid")};
error_log stderr warn;
events { worker_connections 1024; }

http {
  access_log off;
  server_tokens off;
  client_body_temp_path tmp/body;
  proxy_temp_path tmp/proxy;
  fastcgi_temp_path tmp/fastcgi;
  uwsgi_temp_path tmp/uwsgi;
  scgi_temp_path tmp/scgi;
  # isoform bounds every body itself (limits.bodySize, limits.fileSize), and answers a
  # file over its limit with the fields typed kept: let such a request reach it.
  client_max_body_size 32m;
  # nginx reads a whole body before passing it on (a slow client ties up nginx, not an
  # instance); in memory up to this size, in tmp/ beyond.
  client_body_buffer_size 1m;

  upstream isoform_demo {
    # Shared by nginx's workers: round-robin and which instance is down are decided once.
    zone isoform_demo 64k;
    # An instance that refuses a connection is left out for 10 s, then tried again.
${ports.map((p) => `    server 127.0.0.1:${p} max_fails=1 fail_timeout=10s;`).join("\n")}
    keepalive 32;
    # Shorter than node's own keep-alive (5 s): nginx closes an idle connection before the
    # instance does, so it never sends a request on a connection being closed.
    keepalive_timeout 4s;
  }

  server {
    listen 127.0.0.1:${port};${tls}

    location / {
      proxy_pass http://isoform_demo;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      # The origin the browser used, which the instances trust from this proxy (trust proxy):
      # isoform compares it with the Origin of a POST, and marks its cookie Secure under https.
      # Set here, never passed on from the client.
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $http_host;
      proxy_set_header X-Forwarded-For $remote_addr;
      # A connection refused or timed out goes to the next instance. A request already
      # sent is not sent again: without non_idempotent, nginx never retries a POST.
      proxy_next_upstream error timeout;
      proxy_connect_timeout 2s;
    }
  }
}
`);
  const child = spawn(NGINX, ["-p", prefix, "-c", conf, "-e", "stderr"], { stdio: ["ignore", "inherit", "pipe"] });
  let errors = "";
  createInterface({ input: child.stderr }).on("line", (line) => {
    errors = (errors + line + "\n").slice(-4096);
    console.error(`[nginx] ${line}`);
  });
  started.nginx = child;
  watch(child, (how) => stop(1, `nginx ended (${how})${errors ? `:\n${errors}` : ""}`));
  const ready = (p) => () => new Promise((ok) => connect(p, "127.0.0.1").once("connect", function () { this.destroy(); ok(true); }).once("error", () => ok(false)));
  await waitFor(ready(port), 15_000, () => `nginx does not answer on 127.0.0.1:${port}`);
  if (httpsPort) await waitFor(ready(httpsPort), 15_000, () => `nginx does not answer on 127.0.0.1:${httpsPort}`);
}

// ---------------------------------------------------------------- processes

function children() {
  return [started.nginx, ...started.instances, started.postgres].filter(Boolean);
}

function alive(child) {
  return child.exitCode === null && child.signalCode === null;
}

/**
 * Calls `onEnd` if the child ends before we stop it. Ctrl-C reaches every process of the
 * terminal's group at once, so a child may end on it just before this script hears it:
 * wait a moment before taking its end for a failure.
 */
function watch(child, onEnd) {
  child.once("exit", (code, signal) => {
    setTimeout(() => {
      if (!stopping) onEnd(signal ? `signal ${signal}` : `exit code ${code}`);
    }, 250);
  });
}

/** Sends `signal`, then SIGKILL if the child is still there after `ms`. */
function end(child, signal, ms) {
  if (!child || !alive(child)) return Promise.resolve();
  return new Promise((done) => {
    const late = setTimeout(() => child.kill("SIGKILL"), ms);
    child.once("exit", () => {
      clearTimeout(late);
      done();
    });
    child.kill(signal);
  });
}

/** Stops everything that was started, in order, removes the data directory, and exits. */
async function stop(code, message) {
  if (stopping) return;
  stopping = true;
  if (message) (code ? console.error : say)(code ? `start-scaled: ${message}` : message);
  await end(started.nginx, "SIGTERM", 5_000);
  await Promise.all(started.instances.map((c) => end(c, "SIGTERM", 6_000)));
  // SIGINT is PostgreSQL's fast shutdown: roll back open transactions, checkpoint, exit.
  await end(started.postgres, "SIGINT", 10_000);
  if (existsSync(join(dir, MARKER))) rmSync(dir, { recursive: true, force: true });
  if (!code) say("stopped; nothing left running");
  process.exit(code);
}

// ---------------------------------------------------------------- small helpers

function run(cmd, args) {
  return new Promise((ok) => spawn(cmd, args, { stdio: "ignore" }).once("exit", (c) => ok(c === 0)).once("error", () => ok(false)));
}

async function waitFor(check, ms, why) {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (stopping) return new Promise(() => {});
    if (Date.now() > until) throw new Error(why());
    await new Promise((r) => setTimeout(r, 100));
  }
}

function tail(file) {
  try {
    return readFileSync(file, "utf8").split("\n").slice(-15).join("\n");
  } catch {
    return "(no log)";
  }
}
