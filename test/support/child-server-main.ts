/**
 * The server a hostile-input test talks to, run as a CHILD PROCESS (test/support/child-server.ts
 * starts it), so that a crash or a hang shows as such instead of taking the test runner down:
 *
 *     node --import tsx test/support/child-server-main.ts <mode>
 *
 * `<mode>` is `express` (the `isoform()` middleware) or `node` (the plain `createRequestHandler`),
 * optionally with `-throwing-log` (a `log` option that itself throws). It listens on an
 * ephemeral port of 127.0.0.1 and prints one line `LISTENING <port>` on stdout.
 *
 * Nothing catches uncaught exceptions or unhandled rejections here: they end the process,
 * as they would in production, and the test sees the exit.
 *
 * Routes besides the functions: the pages `/`, `/form`, `/done` (the add_todo form, as
 * test/support/app.ts renders it), `/profile` (the multipart profile form's outcome) and
 * `/_child/stats` (memory, and whether Object.prototype and its kin are untouched).
 */
import express from "express";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { runInNewContext } from "node:vm";
import { z } from "zod";
import { createRequestHandler, isoform, isUploadedFile, redirect, serverFn, type Limits, type PageHelpers, type StandardSchemaV1, type UploadedFile } from "../../server/index.js";
import { testRegistry } from "./app.js";

export type ChildMode = "express" | "node" | "express-throwing-log" | "node-throwing-log";
const MODES: readonly ChildMode[] = ["express", "node", "express-throwing-log", "node-throwing-log"];

const mode = (process.argv[2] ?? "express") as ChildMode;
if (!MODES.includes(mode)) {
  console.error(`child-server-main: unknown mode ${JSON.stringify(mode)}; use one of ${MODES.join(", ")}`);
  process.exit(2);
}

// Taken before any request: the fuzz's careless merge would change these if a forbidden key got through.
const protoNamesBefore = Object.getOwnPropertyNames(Object.prototype).sort();
const protoValuesBefore = new Map(protoNamesBefore.map((n) => [n, Object.getOwnPropertyDescriptor(Object.prototype, n)?.value]));
const arrayProtoNamesBefore = Object.getOwnPropertyNames(Array.prototype).sort();
const functionProtoNamesBefore = Object.getOwnPropertyNames(Function.prototype).sort();

// ---------------------------------------------------------------------------------------
// Hostile thrown values
// ---------------------------------------------------------------------------------------

/** An object whose every interesting property rethrows the object itself. */
function selfThrower(): object {
  const o = {};
  for (const k of ["message", "stack", "name", "status", "type"]) {
    Object.defineProperty(o, k, {
      get() {
        throw o;
      },
    });
  }
  return o;
}

/** A proxy on which every reflective operation throws. */
function trapProxy(): object {
  const trap = () => {
    throw new Error("trap");
  };
  return new Proxy({}, { get: trap, getPrototypeOf: trap, has: trap, ownKeys: trap, getOwnPropertyDescriptor: trap });
}

/** A Standard Schema validator whose validate throws a self-rethrowing object. */
const throwingSchema: StandardSchemaV1<unknown, Record<string, unknown>> = {
  "~standard": {
    version: 1,
    vendor: "x",
    validate() {
      throw selfThrower();
    },
  },
};

// ---------------------------------------------------------------------------------------
// The registry: the shared test functions, the hostile ones, and the fuzz's
// ---------------------------------------------------------------------------------------

const { registry } = testRegistry();

serverFn({ name: "throw_getter", registry }, async () => {
  throw {
    get message(): string {
      throw new Error("boom");
    },
  };
});
serverFn({ name: "throw_proxy", registry }, async () => {
  throw trapProxy();
});
serverFn({ name: "throw_self", registry }, async () => {
  throw selfThrower();
});
serverFn(
  {
    name: "throw_view",
    encoding: "get-json",
    registry,
    view: () => {
      throw selfThrower();
    },
  },
  async () => ["fine"],
);
serverFn({ name: "throw_validator", registry, input: throwingSchema }, async (input) => input);

// Values a handler returns that cannot be encoded, and a redirect to a value that cannot be read.
serverFn({ name: "return_tojson_self", registry }, async () => ({
  toJSON() {
    throw selfThrower();
  },
}));
serverFn({ name: "return_proxy", registry }, async () => trapProxy());
serverFn({ name: "return_proxy_cbor", encoding: "cbor", registry }, async () => trapProxy());
serverFn({ name: "redirect_proxy", registry }, async () => redirect(trapProxy() as never));

/**
 * A validator answering with a Promise of another realm (as one built in a `vm` context, or
 * a library with its own Promise, would): a thenable, not `instanceof Promise` here.
 */
const otherRealmSchema: StandardSchemaV1<unknown, Record<string, unknown>> = {
  "~standard": {
    version: 1,
    vendor: "x",
    validate: (value) =>
      runInNewContext("Promise.resolve(v && v.title ? { value: v } : { issues: [{ message: 'Title is required', path: ['title'] }] })", { v: value }) as Promise<
        StandardSchemaV1.Result<Record<string, unknown>>
      >,
  },
};
serverFn({ name: "validated_other_realm", registry, input: otherRealmSchema }, async (input) => ({ handlerGot: input ?? "nothing" }));

/** Files come back as their name and size, fields as they were. */
function summarize(input: Record<string, unknown>): Record<string, unknown> {
  const isFile = (v: unknown): v is UploadedFile => typeof v === "object" && v !== null && "bytes" in v;
  return Object.fromEntries(Object.entries(input).map(([k, v]) => [k, isFile(v) ? { file: v.name, size: v.size } : v]));
}
serverFn({ name: "profile", encoding: "multipart", registry, limits: { fileSize: 1000 } }, async (input) => summarize(input));
serverFn({ name: "echo_cbor_big", encoding: "cbor", registry, limits: { bodySize: 1_000_000 } }, async (input) => input);

// Large files (test/uploads.test.ts): each file read as a stream into a sha256, never whole.
const streamedFiles = async (input: Record<string, unknown>) => {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(input)) {
    if (!isUploadedFile(v)) {
      out[k] = v;
      continue;
    }
    const hash = createHash("sha256");
    for await (const chunk of v.stream()) hash.update(chunk as Buffer);
    out[k] = { name: v.name, size: v.size, sha256: hash.digest("hex"), path: v.path, existed: existsSync(v.path) };
  }
  return out;
};
serverFn(
  { name: "big_upload", encoding: "multipart", registry, limits: { fileSize: 300 * 1024 * 1024, files: 2, bodyTimeout: 120_000 } },
  async (input) => streamedFiles(input),
);
serverFn({ name: "small_upload", encoding: "multipart", registry, limits: { fileSize: 1024 * 1024, files: 1 } }, async (input) => streamedFiles(input));

// `bodyTimeout` (ms) is a limit being added; the loose type keeps this file compiling either way.
const slowLimits: Partial<Limits> & Record<string, number> = { bodyTimeout: 500 };
serverFn({ name: "slow_body", registry, limits: slowLimits }, async (input) => input);
serverFn({ name: "slow_json", encoding: "json", registry, limits: slowLimits }, async (input) => input);
serverFn({ name: "slow_cbor", encoding: "cbor", registry, limits: slowLimits }, async (input) => input);
serverFn({ name: "slow_multipart", encoding: "multipart", registry, limits: slowLimits }, async (input) => summarize(input));

// The fuzz's targets (test/fuzz-bodies.test.ts): a validated function and a
// prototype-pollution sink per encoding.
type Encoding = "url" | "get-json" | "json" | "cbor" | "get-cbor" | "multipart";
const ENCODINGS: readonly Encoding[] = ["url", "get-json", "json", "cbor", "get-cbor", "multipart"];
const ValidInput = z.object({
  title: z.string().trim().min(1).max(200),
  n: z.coerce.number().int().optional(),
  tags: z.array(z.string()).max(5).optional(),
  nested: z.object({ a: z.string() }).optional(),
});

/**
 * A careless deep merge, as a handler might write one: were a `__proto__` or
 * `constructor[prototype]` key to reach a handler, this would pollute Object.prototype,
 * which `/_child/stats` reports. It never throws, so any 5xx is the server's.
 */
function carelessMerge(target: Record<string, unknown>, source: unknown, depth = 0): Record<string, unknown> {
  if (depth > 20 || source === null || typeof source !== "object" || ArrayBuffer.isView(source)) return target;
  for (const key in source as Record<string, unknown>) {
    const value = (source as Record<string, unknown>)[key];
    if (value !== null && typeof value === "object" && !ArrayBuffer.isView(value)) {
      const current = target[key];
      if (current === null || (typeof current !== "object" && typeof current !== "function")) target[key] = {};
      carelessMerge(target[key] as Record<string, unknown>, value, depth + 1);
    } else {
      try {
        target[key] = value;
      } catch {
        // a read-only property (e.g. a function's `name`): a careless handler would not care
      }
    }
  }
  return target;
}

for (const encoding of ENCODINGS) {
  const suffix = encoding.replace("-", "_");
  serverFn({ name: `fuzz_valid_${suffix}`, encoding, registry, input: ValidInput }, async (input) => ({ ok: true, title: input.title }));
  serverFn({ name: `fuzz_sink_${suffix}`, encoding, registry }, async (input) => {
    const merged = carelessMerge({}, input);
    return { keys: Object.keys(merged).length };
  });
}

// ---------------------------------------------------------------------------------------
// Pages
// ---------------------------------------------------------------------------------------

function escape(s: unknown): string {
  return String(s ?? "").replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/"/g, "&quot;");
}

/** The add_todo form, as test/support/app.ts renders it. */
function todoPage(f: PageHelpers): string {
  return (
    `<!doctype html><title>t</title>${f.form("add_todo")}<input name="title" value="${escape(f.value("add_todo", "title"))}">` +
    `<textarea name="body">${escape(f.value("add_todo", "body"))}</textarea>${f.error("add_todo", "title")}${f.error("add_todo", "body")}${f.formError("add_todo")}</form>` +
    `<pre id="result">${escape(JSON.stringify(f.result("add_todo") ?? null))}</pre><pre id="failed">${f.failed("add_todo")}</pre>`
  );
}

/** The profile form with what was typed at its last failed submission, and that failure. */
function profilePage(f: PageHelpers): string {
  const err = f.errorOf("profile");
  return (
    `<!doctype html><title>profile</title>${f.form("profile")}` +
    `<input name="name" value="${escape(f.value("profile", "name"))}">` +
    `<textarea name="bio">${escape(f.value("profile", "bio"))}</textarea>` +
    `<input type="password" name="password" value="${escape(f.value("profile", "password"))}">` +
    `<input type="file" name="avatar">${f.formError("profile")}</form>` +
    `<p id="error-type">${escape(err?.type)}</p><p id="error-limit">${escape(err?.limit)}</p><p id="failed">${f.failed("profile")}</p>`
  );
}

function stats(): Record<string, unknown> {
  const probe = {} as Record<string, unknown>;
  const polluted = ["polluted", "isoformFuzzPolluted", "yes", "x", "prototype"].filter((k) => probe[k] !== undefined);
  const protoNames = Object.getOwnPropertyNames(Object.prototype).sort();
  const changedValues = protoNamesBefore.filter((n) => Object.getOwnPropertyDescriptor(Object.prototype, n)?.value !== protoValuesBefore.get(n));
  const same = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
  const m = process.memoryUsage();
  return {
    pid: process.pid,
    mode,
    rss: m.rss,
    heapUsed: m.heapUsed,
    heapTotal: m.heapTotal,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
    prototypes: {
      polluted,
      objectNamesSame: same(protoNames, protoNamesBefore),
      objectNamesAdded: protoNames.filter((n) => !protoNamesBefore.includes(n)),
      objectNamesRemoved: protoNamesBefore.filter((n) => !protoNames.includes(n)),
      objectValuesChanged: changedValues,
      arrayNamesSame: same(Object.getOwnPropertyNames(Array.prototype).sort(), arrayProtoNamesBefore),
      functionNamesSame: same(Object.getOwnPropertyNames(Function.prototype).sort(), functionProtoNamesBefore),
      enumerableKeys: Object.keys(Object.prototype),
    },
  };
}

function sendHtml(res: ServerResponse, html: string): void {
  res.setHeader("Content-Type", "text/html; charset=utf-8");
  res.end(html);
}

// ---------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------

const options = {
  registry,
  secret: "x",
  production: true,
  ...(process.env.ISOFORM_TEST_UPLOAD_DIR ? { uploadDir: process.env.ISOFORM_TEST_UPLOAD_DIR } : {}),
  ...(mode.endsWith("-throwing-log")
    ? {
        log: () => {
          throw new Error("logger broke");
        },
      }
    : {}),
};

let listener: (req: IncomingMessage, res: ServerResponse) => void;
if (mode.startsWith("express")) {
  const app = express();
  app.use(isoform(options));
  app.get(["/", "/form", "/done"], (_req, res) => sendHtml(res, todoPage(res.locals.isoform)));
  app.get("/profile", (_req, res) => sendHtml(res, profilePage(res.locals.isoform)));
  app.get("/_child/stats", (_req, res) => res.json(stats()));
  listener = app;
} else {
  const handler = createRequestHandler({
    ...options,
    fallback: (req, res) => {
      const path = (req.url ?? "/").split("?")[0];
      if (req.method === "GET" && path === "/_child/stats") {
        res.setHeader("Content-Type", "application/json");
        return void res.end(JSON.stringify(stats()));
      }
      if (req.method === "GET" && path === "/profile") return sendHtml(res, profilePage(handler.helpers(req, res)));
      if (req.method === "GET" && (path === "/" || path === "/form" || path === "/done")) return sendHtml(res, todoPage(handler.helpers(req, res)));
      res.statusCode = 404;
      sendHtml(res, "<!doctype html><title>Not found</title><p>Not found</p>");
    },
  });
  listener = handler;
}

const server = createServer(listener);
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`LISTENING ${(server.address() as AddressInfo).port}\n`);
});
// The parent holds our stdin open: when it goes away (a killed test worker), so do we.
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
