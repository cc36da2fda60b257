/**
 * One benchmark server, started as its own process: `tsx bench/server.ts <variant>`.
 * Prints `port <n>` once listening on 127.0.0.1. Variants:
 *   isoform-express  isoform() mounted on express 5
 *   isoform-node     createRequestHandler() on node:http
 *   express          hand-written express 5 routes (express.urlencoded({ extended: true }) etc.)
 *   node             hand-written node:http + qs routes: the ceiling
 *   isoform-fetch    createFetchHandler() (isoform/fetch) on Node, through @hono/node-server
 *   hono             hand-written Hono routes (+ qs, cbor-x) on the same @hono/node-server
 * Every variant serves the same five endpoints: url, navigation (303), get-json, json, cbor.
 */
import { decode as cborDecode, encode as cborEncode } from "cbor-x";
import { createHmac, randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import busboy from "busboy";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { getRequestListener } from "@hono/node-server";
import express from "express";
import { Hono } from "hono";
import qs from "qs";
import { createFetchHandler } from "../server/fetch.js";
import { createRequestHandler, isoform, isUploadedFile, serverFn, ServerFnError } from "../server/index.js";
import { addTodo, listTodos, SECRET } from "./workload.js";

const variant = process.argv[2];

function isoformFunctions() {
  const add = (input: Record<string, unknown>) => {
    const r = addTodo(input.title);
    if (typeof r === "string") throw new ServerFnError(r, { type: "Validation", issues: [{ path: ["title"], message: r }] });
    return r;
  };
  serverFn({ name: "add_todo" }, add);
  serverFn({ name: "add_todo_json", encoding: "json" }, add);
  serverFn({ name: "add_todo_cbor", encoding: "cbor" }, add);
  serverFn({ name: "list_todos", encoding: "get-json" }, async (input) => listTodos(input.limit));
}

/** The hand-written no-JS answer: a signed flash cookie with the result, then 303 back. */
function flash(value: unknown): string {
  const payload = Buffer.from(JSON.stringify({ ok: true, value, exp: Date.now() + 60_000 })).toString("base64url");
  const sig = createHmac("sha256", SECRET).update(payload).digest("base64url");
  return `flash=${payload}.${sig}; Path=/; Max-Age=60; HttpOnly; SameSite=Lax`;
}

function expressApp() {
  const app = express();
  app.set("query parser", "extended");
  const body = { urlencoded: express.urlencoded({ extended: true }), json: express.json(), raw: express.raw({ type: "application/cbor" }) };
  app.post("/api/add_todo", body.urlencoded, (req, res) => {
    const r = addTodo(req.body?.title);
    const navigation = req.get("sec-fetch-mode") === "navigate";
    if (typeof r === "string") {
      if (navigation) return void res.status(303).set("Set-Cookie", flash({ error: r })).location("/").end();
      return void res.status(422).json({ error: { type: "Validation", message: r } });
    }
    if (navigation) return void res.status(303).set("Set-Cookie", flash(r)).location("/").end();
    res.json(r);
  });
  app.post("/api/add_todo_json", body.json, (req, res) => {
    const r = addTodo(req.body?.title);
    if (typeof r === "string") return void res.status(422).json({ error: { type: "Validation", message: r } });
    res.json(r);
  });
  app.post("/api/add_todo_cbor", body.raw, (req, res) => {
    const r = addTodo((cborDecode(req.body) as { title?: unknown })?.title);
    if (typeof r === "string") return void res.status(422).type("application/cbor").send(Buffer.from(cborEncode({ error: { type: "Validation", message: r } })));
    res.type("application/cbor").send(Buffer.from(cborEncode(r)));
  });
  app.get("/api/list_todos", (req, res) => void res.json(listTodos(req.query.limit)));
  return app;
}

function nodeHandler(req: IncomingMessage, res: ServerResponse) {
  const send = (status: number, type: string, body: string | Uint8Array, headers: Record<string, string> = {}) => {
    res.writeHead(status, { "Content-Type": type, "Content-Length": typeof body === "string" ? Buffer.byteLength(body) : body.byteLength, ...headers });
    res.end(body);
  };
  const url = req.url ?? "/";
  const q = url.indexOf("?");
  const path = q < 0 ? url : url.slice(0, q);
  if (req.method === "GET" && path === "/api/list_todos") {
    const query = qs.parse(q < 0 ? "" : url.slice(q + 1));
    return send(200, "application/json", JSON.stringify(listTodos(query.limit)));
  }
  if (req.method !== "POST") return send(404, "text/plain", "Not found");
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const raw = Buffer.concat(chunks);
    if (path === "/api/add_todo") {
      const r = addTodo(qs.parse(raw.toString("utf8")).title);
      if (req.headers["sec-fetch-mode"] === "navigate") return send(303, "text/plain", "", { Location: "/", "Set-Cookie": flash(r) });
      if (typeof r === "string") return send(422, "application/json", JSON.stringify({ error: { type: "Validation", message: r } }));
      return send(200, "application/json", JSON.stringify(r));
    }
    if (path === "/api/add_todo_json") {
      const r = addTodo(JSON.parse(raw.toString("utf8")).title);
      return send(typeof r === "string" ? 422 : 200, "application/json", JSON.stringify(r));
    }
    if (path === "/api/add_todo_cbor") {
      const r = addTodo((cborDecode(raw) as { title?: unknown }).title);
      return send(typeof r === "string" ? 422 : 200, "application/cbor", cborEncode(r));
    }
    send(404, "text/plain", "Not found");
  });
}

/** The same five endpoints as bare Hono routes: the baseline of the fetch handler. */
function honoApp() {
  const app = new Hono();
  app.get("/api/list_todos", (c) => c.json(listTodos(qs.parse(c.req.url.split("?")[1] ?? "").limit)));
  app.post("/api/add_todo", async (c) => {
    const r = addTodo(qs.parse(await c.req.text()).title);
    if (c.req.header("sec-fetch-mode") === "navigate") return c.body(null, 303, { Location: "/", "Set-Cookie": flash(r) });
    if (typeof r === "string") return c.json({ error: { type: "Validation", message: r } }, 422);
    return c.json(r);
  });
  app.post("/api/add_todo_json", async (c) => {
    const r = addTodo((await c.req.json<{ title?: unknown }>()).title);
    return typeof r === "string" ? c.json(r, 422) : c.json(r);
  });
  app.post("/api/add_todo_cbor", async (c) => {
    const r = addTodo((cborDecode(new Uint8Array(await c.req.arrayBuffer())) as { title?: unknown }).title);
    return c.body(cborEncode(r) as Uint8Array<ArrayBuffer>, typeof r === "string" ? 422 : 200, { "Content-Type": "application/cbor" });
  });
  return app;
}

/** bench/upload.ts: files streamed to disk by a multipart function; the handler sees their sizes. */
function isoformUpload() {
  serverFn({ name: "upload", encoding: "multipart", limits: { fileSize: 1024 * 1024 * 1024, bodyTimeout: 120_000 } }, async (input) =>
    Object.values(input).reduce<number>((n, v) => n + (isUploadedFile(v) ? v.size : 0), 0),
  );
  return createRequestHandler({ secret: SECRET, production: true });
}

/** Its baseline: busboy alone piping each file to a temporary file, removed before answering (as isoform does). */
const busboyUpload: Parameters<typeof createServer>[1] = (req, res) => {
  const bb = busboy({ headers: req.headers });
  const paths: string[] = [];
  let size = 0;
  let open = 0;
  let closed = false;
  const answer = async () => {
    if (!closed || open > 0) return;
    await Promise.all(paths.map((p) => rm(p, { force: true })));
    res.setHeader("content-type", "application/json");
    res.end(String(size));
  };
  bb.on("file", (_name, stream) => {
    const path = join(tmpdir(), `bench-busboy-${randomUUID()}`);
    paths.push(path);
    open++;
    stream.on("data", (c: Buffer) => (size += c.length));
    const out = createWriteStream(path, { flags: "wx", mode: 0o600 });
    out.on("close", () => {
      open--;
      void answer();
    });
    stream.pipe(out);
  });
  bb.on("close", () => {
    closed = true;
    void answer();
  });
  req.pipe(bb);
};

let listener: Parameters<typeof createServer>[1];
if (variant === "isoform-upload") {
  listener = isoformUpload();
} else if (variant === "busboy-upload") {
  listener = busboyUpload;
} else if (variant === "isoform-express") {
  isoformFunctions();
  const app = express();
  app.use(isoform({ secret: SECRET, production: true }));
  listener = app;
} else if (variant === "isoform-node") {
  isoformFunctions();
  listener = createRequestHandler({ secret: SECRET, production: true });
} else if (variant === "express") {
  listener = expressApp();
} else if (variant === "node") {
  listener = nodeHandler;
} else if (variant === "isoform-fetch") {
  isoformFunctions();
  const handler = createFetchHandler({ secret: SECRET, production: true });
  listener = getRequestListener(async (request) => (await handler(request)) ?? new Response("Not found", { status: 404 }));
} else if (variant === "hono") {
  listener = getRequestListener(honoApp().fetch);
} else {
  console.error(`bench/server.ts: unknown variant "${variant}"; use isoform-express, isoform-node, express, node, isoform-fetch, hono, isoform-upload or busboy-upload`);
  process.exit(2);
}

const server = createServer(listener);
server.listen(0, "127.0.0.1", () => {
  console.log(`port ${(server.address() as AddressInfo).port}`);
});
// The parent asks for memory figures over stdin, so measuring never needs an extra endpoint.
process.stdin.on("data", (d) => {
  const command = String(d).trim();
  if (command === "memory") {
    // Twice: the first full GC can leave garbage that only the second one frees.
    globalThis.gc?.();
    globalThis.gc?.();
    const { rss, heapUsed } = process.memoryUsage();
    console.log(`memory ${rss} ${heapUsed}`);
  } else if (command === "cpu") {
    const { user, system } = process.cpuUsage();
    console.log(`cpu ${user + system}`);
  }
});
// Exit through process.exit so `--cpu-prof` (see bench/README.md) writes its profile.
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => process.exit(0));
