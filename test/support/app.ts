import type { AddressInfo } from "node:net";
import { getRequestListener } from "@hono/node-server";
import express from "express";
import express4 from "express4";
import Fastify from "fastify";
import { Hono } from "hono";
import { z } from "zod";
import { isoform as fastifyIsoform } from "../../server/fastify.js";
import { createFetchHandler } from "../../server/fetch.js";
import { isoform as honoIsoform, type IsoformVariables } from "../../server/hono.js";
import { createRequestHandler, isoform, redirect, Registry, serverFn, ServerFnError, type IsoformOptions, type PageHelpers, type UploadedFile } from "../../server/index.js";
import { listen, type Listening } from "./listen.js";

/**
 * The functions the server suites call, in a registry of their own: one echo per encoding,
 * validation, chosen and unexpected errors, redirects, a slow handler that watches its
 * abort signal, and uploads.
 */
export function testRegistry() {
  const registry = new Registry();
  const echo = (name: string, encoding: "url" | "json" | "cbor" | "get-json" | "get-cbor" | "multipart") =>
    serverFn({ name, encoding, registry }, async (input) => input);
  const fns = {
    echoUrl: echo("echo_url", "url"),
    echoJson: echo("echo_json", "json"),
    echoCbor: echo("echo_cbor", "cbor"),
    echoGetJson: echo("echo_get_json", "get-json"),
    echoGetCbor: echo("echo_get_cbor", "get-cbor"),
    echoMultipart: echo("echo_multipart", "multipart"),
    addTodo: serverFn(
      { name: "add_todo", registry, input: z.object({ title: z.string().trim().min(1, "Title is required").max(200, "Title is too long"), body: z.string().max(100, "Body is too long").optional(), password: z.string().optional() }), sensitive: ["secret_note"] },
      async ({ title }) => ({ id: 1, title }),
    ),
    conflict: serverFn({ name: "conflict", registry }, async () => {
      throw new ServerFnError("That name is taken", { status: 409 });
    }),
    teapot: serverFn({ name: "teapot", registry }, async () => {
      throw new ServerFnError("I'm a teapot", { status: 418 });
    }),
    crash: serverFn({ name: "crash", registry }, async () => {
      throw new Error("secret database password in this message");
    }),
    moveCtx: serverFn({ name: "move_ctx", registry }, async (_input, ctx) => ctx.redirect("/done?via=ctx")),
    moveThrow: serverFn({ name: "move_throw", registry }, async () => {
      throw redirect("/done?via=throw");
    }),
    moveOffsite: serverFn({ name: "move_offsite", registry }, async () => {
      throw redirect("https://evil.example/phish");
    }),
    webhook: serverFn({ name: "webhook", registry, csrf: false }, async () => "received"),
    listView: serverFn(
      { name: "list_view", encoding: "get-json", registry, view: (items: string[], page) => `<ul>${items.map((i) => `<li>${i}</li>`).join("")}</ul>${page.form("add_todo")}</form>` },
      async () => ["one", "two"],
    ),
    v2: serverFn({ name: "v2_thing", prefix: "/v2", endpoint: "things/make", registry }, async () => "made"),
    tight: serverFn({ name: "tight", registry, limits: { bodySize: 100, depth: 2, parameters: 5, arrayLength: 3 } }, async (i) => i),
    tightUpload: serverFn({ name: "tight_upload", encoding: "multipart", registry, limits: { bodySize: 100, fileSize: 10_000, files: 1 } }, async () => "ok"),
    upload: serverFn({ name: "upload", encoding: "multipart", registry, limits: { fileSize: 1000, files: 2, fields: 5 } }, async (input) => {
      const files = Object.entries(input).filter(([, v]) => typeof v === "object" && v !== null && "bytes" in v) as [string, UploadedFile][];
      return {
        fields: Object.fromEntries(Object.entries(input).filter(([, v]) => typeof v === "string")),
        files: files.map(([field, f]) => ({ field, name: f.name, type: f.type, size: f.size, text: Buffer.from(f.bytes).toString("utf8") })),
      };
    }),
  };
  return { registry, fns };
}

export type TestFns = ReturnType<typeof testRegistry>["fns"];

/** The servers isoform runs on; the HTTP suites run against each (vitest.config.ts, one project per adapter). */
export const ADAPTERS = ["express5", "express4", "node", "fetch", "hono", "fastify"] as const;
export type Adapter = (typeof ADAPTERS)[number];

/** The adapter this test run serves with: `ISOFORM_ADAPTER`, express 5 by default. */
export function currentAdapter(): Adapter {
  const name = process.env.ISOFORM_ADAPTER ?? "express5";
  if (!(ADAPTERS as readonly string[]).includes(name)) throw new Error(`ISOFORM_ADAPTER=${name}: use one of ${ADAPTERS.join(", ")}`);
  return name as Adapter;
}

const PAGES = ["/", "/form", "/done"];

/** The one test page: the add_todo form with what was typed, its errors, and the last result. */
export function testPage(f: PageHelpers): string {
  return (
    `<!doctype html><title>t</title>${f.form("add_todo")}<input name="title" value="${escape(f.value("add_todo", "title"))}">` +
    `<textarea name="body">${escape(f.value("add_todo", "body"))}</textarea>${f.error("add_todo", "title")}${f.error("add_todo", "body")}${f.formError("add_todo")}</form>` +
    `<pre id="result">${escape(JSON.stringify(f.result("add_todo") ?? null))}</pre><pre id="failed">${f.failed("add_todo")}</pre>`
  );
}

export type AppOptions = IsoformOptions & { trustProxy?: boolean };

/**
 * isoform with the test registry and the test page at /, /form and /done, on an ephemeral
 * port, served by `adapter` (default: this run's). Every adapter answers the same requests
 * the same way: the suites that use this are the conformance suite of the adapters.
 */
export async function startApp(options: AppOptions = {}, adapter: Adapter = currentAdapter()) {
  const { registry, fns } = testRegistry();
  const config = { registry, secret: "test-secret", production: true, log: () => {}, ...options };
  const server = await SERVE[adapter](config, options.trustProxy === true);
  return { ...server, fns, registry, adapter };
}

type Config = IsoformOptions & { registry: Registry };

const SERVE: Record<Adapter, (config: Config, trustProxy: boolean) => Promise<Listening>> = {
  express5: (config, trustProxy) => serveExpress(express, config, trustProxy),
  express4: (config, trustProxy) => serveExpress(express4 as unknown as typeof express, config, trustProxy),

  async node(config, trustProxy) {
    const handler = createRequestHandler({
      ...config,
      trustProxy,
      fallback(req, res) {
        const path = (req.url ?? "/").split("?")[0]!;
        if (!PAGES.includes(path)) return void res.writeHead(404, { "content-type": "text/plain" }).end("Not found");
        const html = testPage(handler.helpers(req, res));
        res.writeHead(res.statusCode, { "content-type": "text/html; charset=utf-8" }).end(html);
      },
    });
    return listen(handler);
  },

  async fetch(config, trustProxy) {
    const page = (f: PageHelpers, status = 200, headers?: Headers) => {
      const res = new Response(testPage(f), { status, headers: { "content-type": "text/html; charset=utf-8" } });
      headers?.forEach((v, k) => res.headers.append(k, v));
      return res;
    };
    const handler = createFetchHandler({ ...config, trustProxy, renderPage: (_req, f, status) => page(f, status) });
    return listen(
      getRequestListener(async (request) => {
        const answered = await handler(request);
        if (answered) return answered;
        if (!PAGES.includes(new URL(request.url).pathname)) return new Response("Not found", { status: 404 });
        const { helpers, headers } = handler.helpers(request);
        return page(helpers, 200, headers);
      }),
    );
  },

  async hono(config, trustProxy) {
    const app = new Hono<{ Variables: IsoformVariables }>();
    const mw = honoIsoform({
      ...config,
      trustProxy,
      renderPage: (_req, f, status) => new Response(testPage(f), { status, headers: { "content-type": "text/html; charset=utf-8" } }),
    });
    app.use(mw);
    for (const path of PAGES) app.get(path, (c) => c.html(testPage(c.get("isoform"))));
    return listen(getRequestListener(app.fetch));
  },

  async fastify(config, trustProxy) {
    const app = Fastify({ trustProxy });
    await app.register(fastifyIsoform, { ...config, trustProxy });
    for (const path of PAGES) app.get(path, (request, reply) => reply.type("text/html; charset=utf-8").send(testPage(request.isoform)));
    await app.listen({ port: 0, host: "127.0.0.1" });
    const { port } = app.server.address() as AddressInfo;
    const origin = `http://127.0.0.1:${port}`;
    return {
      server: app.server,
      url: origin,
      origin,
      close: async () => {
        app.server.closeAllConnections();
        await app.close();
      },
    };
  },
};

async function serveExpress(make: typeof express, config: Config, trustProxy: boolean): Promise<Listening> {
  const app = make();
  if (trustProxy) app.set("trust proxy", true);
  app.use(isoform(config));
  app.get(PAGES, (_req, res) => {
    res.type("html").send(testPage(res.locals.isoform));
  });
  return listen(app);
}

function escape(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/"/g, "&quot;");
}
