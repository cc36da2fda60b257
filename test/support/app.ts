import { spawn } from "node:child_process";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { getRequestListener } from "@hono/node-server";
import express from "express";
import express4 from "express4";
import Fastify from "fastify";
import { Hono } from "hono";
import { isoform as fastifyIsoform } from "../../server/fastify.js";
import { createFetchHandler } from "../../server/fetch.js";
import { isoform as honoIsoform, type IsoformVariables } from "../../server/hono.js";
import { createRequestHandler, isoform, type IsoformOptions, type PageHelpers, type Registry } from "../../server/index.js";
import { listen, type Listening } from "./listen.js";
import { testPage, testRegistry } from "./registry.js";

export { testPage, testRegistry, type TestFns } from "./registry.js";


/** The servers isoform runs on; the HTTP suites run against each (vitest.config.ts, one project per adapter). */
export const ADAPTERS = ["express5", "express4", "node", "fetch", "hono", "fastify", "bun", "deno"] as const;
export type Adapter = (typeof ADAPTERS)[number];

/** The adapter this test run serves with: `ISOFORM_ADAPTER`, express 5 by default. */
export function currentAdapter(): Adapter {
  const name = process.env.ISOFORM_ADAPTER ?? "express5";
  if (!(ADAPTERS as readonly string[]).includes(name)) throw new Error(`ISOFORM_ADAPTER=${name}: use one of ${ADAPTERS.join(", ")}`);
  return name as Adapter;
}

const PAGES = ["/", "/form", "/done"];

export type AppOptions = IsoformOptions & { trustProxy?: boolean };

/**
 * isoform with the test registry and the test page at /, /form and /done, on an ephemeral
 * port, served by `adapter` (default: this run's). Every adapter answers the same requests
 * the same way: the suites that use this are the conformance suite of the adapters.
 */
export async function startApp(options: AppOptions = {}, adapter: Adapter = currentAdapter()) {
  const { registry, fns } = testRegistry();
  const config = { registry, secret: "test-secret", production: true, log: () => {}, ...options };
  const server = adapter === "bun" || adapter === "deno" ? await serveRuntime(adapter, options) : await SERVE[adapter](config, options.trustProxy === true);
  return { ...server, fns, registry, adapter };
}

type Config = IsoformOptions & { registry: Registry };

const SERVE: Record<Exclude<Adapter, "bun" | "deno">, (config: Config, trustProxy: boolean) => Promise<Listening>> = {
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

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const RUNTIME_COMMAND = {
  bun: [join(ROOT, "node_modules/.bin/bun"), "test/support/runtime-server.ts"],
  deno: [join(ROOT, "node_modules/.bin/deno"), "run", "--allow-all", "--sloppy-imports", "--quiet", "test/support/runtime-server.ts"],
};

/**
 * The fetch handler in a Bun or Deno process (test/support/runtime-server.ts) with the same
 * registry and page. Only options that survive JSON reach it; functions registered in this
 * process after start do not, so the "bun" and "deno" projects run the suites that need none.
 */
function serveRuntime(runtime: "bun" | "deno", options: AppOptions): Promise<Listening> {
  const [command, ...args] = RUNTIME_COMMAND[runtime];
  const child = spawn(command!, [...args, JSON.stringify(options)], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => fail(new Error(`${runtime} did not start in 30 s: ${out}`)), 30_000);
    const fail = (err: Error) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(err);
    };
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const port = /LISTENING (\d+)/.exec(out)?.[1];
      if (!port) return;
      clearTimeout(timer);
      child.stdout.off("data", onData);
      const origin = `http://127.0.0.1:${port}`;
      const close = () =>
        new Promise<void>((done) => {
          if (child.exitCode !== null) return done();
          child.once("exit", () => done());
          child.kill("SIGTERM");
        });
      resolve({ server: undefined as never, url: origin, origin, close });
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", (chunk: Buffer) => void (out += chunk.toString()));
    child.once("exit", (code) => fail(new Error(`${runtime} exited with ${code}: ${out}`)));
  });
}

async function serveExpress(make: typeof express, config: Config, trustProxy: boolean): Promise<Listening> {
  const app = make();
  if (trustProxy) app.set("trust proxy", true);
  app.use(isoform(config));
  app.get(PAGES, (_req, res) => {
    res.type("html").send(testPage(res.locals.isoform));
  });
  return listen(app);
}

