import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { request } from "./support/request.js";

/**
 * The package as a user gets it: `npm pack`, the tarball installed into fresh apps outside
 * the repository, each run with plain `node` (no TypeScript at run time), and a consumer's
 * TypeScript checked against the published types. Needs `npm run build` first (npm test
 * runs it) and the npm registry or its cache for express.
 */

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "..");
const TSC = join(ROOT, "node_modules", ".bin", "tsc");
const INSTALL_TIMEOUT = 180_000;

let dir: string;
let tarball: string;
let entries: string[];

async function npm(cwd: string, args: string[]) {
  return run("npm", args, { cwd, timeout: INSTALL_TIMEOUT, env: { ...process.env, npm_config_update_notifier: "false" } });
}

/** A fresh app in its own folder: package.json, the tarball and `deps` installed, `files` written. */
async function makeApp(name: string, deps: string[], files: Record<string, string>): Promise<string> {
  const app = join(dir, name);
  rmSync(app, { recursive: true, force: true });
  await run("mkdir", ["-p", app]);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name, private: true, type: "module" }, null, 2));
  for (const [file, text] of Object.entries(files)) writeFileSync(join(app, file), text);
  await npm(app, ["install", "--no-audit", "--no-fund", "--prefer-offline", tarball, ...deps]);
  return app;
}

const FUNCTIONS_JS = `
import { serverFn, ServerFnError } from "isoform";
export const greet = serverFn({ name: "greet" }, async ({ who }) => {
  if (!who) throw new ServerFnError("Say who", { type: "Validation", issues: [{ path: ["who"], message: "Say who" }] });
  return { hello: String(who) };
});
`;

/** The same page for every server: a form, what was typed, the result, the script tag. */
const PAGE_JS = `
export function page(f) {
  const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/"/g, "&quot;");
  return \`<!doctype html><title>t</title>\${f.form("greet")}<input name="who" value="\${esc(f.value("greet", "who"))}"></form>\` +
    \`<pre id="result">\${esc(JSON.stringify(f.result("greet") ?? null))}</pre>\${f.script()}\`;
}
`;

const EXPRESS_JS = `
import express from "express";
import { isoform } from "isoform";
import "./functions.js";
import { page } from "./page.js";
const app = express();
app.use(isoform({ secret: "package-test" }));
app.get("/", (req, res) => res.type("html").send(page(res.locals.isoform)));
const server = app.listen(0, "127.0.0.1", () => console.log("LISTENING " + server.address().port));
`;

const NODE_JS = `
import { createServer } from "node:http";
import { createRequestHandler } from "isoform";
import "./functions.js";
import { page } from "./page.js";
const handler = createRequestHandler({
  secret: "package-test",
  fallback(req, res) {
    const html = page(handler.helpers(req, res));
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(html);
  },
});
const server = createServer(handler).listen(0, "127.0.0.1", () => console.log("LISTENING " + server.address().port));
`;

const FASTIFY_JS = `
import Fastify from "fastify";
import { isoform } from "isoform/fastify";
import "./functions.js";
import { page } from "./page.js";
const app = Fastify();
await app.register(isoform, { secret: "package-test" });
app.get("/", (request, reply) => reply.type("text/html; charset=utf-8").send(page(request.isoform)));
await app.listen({ port: 0, host: "127.0.0.1" });
console.log("LISTENING " + app.server.address().port);
`;

const HONO_JS = `
import { Hono } from "hono";
import { serve } from "@hono/node-server";
import { isoform } from "isoform/hono";
import "./functions.js";
import { page } from "./page.js";
const app = new Hono();
app.use(isoform({ secret: "package-test" }));
app.get("/", (c) => c.html(page(c.get("isoform"))));
serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info) => console.log("LISTENING " + info.port));
`;

/** Bun.serve and Deno.serve over isoform/fetch, as the README shows them. */
const FETCH_JS = `
import { createFetchHandler } from "isoform/fetch";
import "./functions.js";
import { page } from "./page.js";
const isoform = createFetchHandler({ secret: "package-test" });
async function fetch(request) {
  const answered = await isoform(request);
  if (answered) return answered;
  const { helpers, headers } = isoform.helpers(request);
  headers.set("content-type", "text/html; charset=utf-8");
  return new Response(page(helpers), { headers });
}
if (typeof Bun !== "undefined") console.log("LISTENING " + Bun.serve({ port: 0, hostname: "127.0.0.1", fetch }).port);
else Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: ({ port }) => console.log("LISTENING " + port) }, fetch);
`;

/** A user's TypeScript: a server function, and browser code typed from it with `import type`. */
const FUNCTIONS_TS = `
import { serverFn } from "isoform";
export const addTodo = serverFn({ name: "add_todo" }, async (input: Record<string, unknown>) => ({ id: 1, title: String(input.title) }));
`;
const BROWSER_TS = `
import type { addTodo } from "./functions.js";
import { createServerAction, stub, ServerFnError } from "isoform/client";
const add = stub<typeof addTodo>({ name: "add_todo", path: "/api/add_todo", method: "POST", encoding: "url" });
const action = createServerAction(add);
action.dispatch({ title: "Buy milk" });
const value: { id: number; title: string } | undefined = action.value.get();
const error: ServerFnError | undefined = action.error.get();
export { value, error };
`;

beforeAll(async () => {
  if (!existsSync(join(ROOT, "dist", "browser", "manifest.json")) || !existsSync(join(ROOT, "dist", "server", "index.js"))) {
    throw new Error("dist/ is not built: run `npm run build` (npm test does) before this suite");
  }
  dir = mkdtempSync(join(tmpdir(), "isoform-package-"));
  // --ignore-scripts: prepack would rebuild dist/ while other suites read it; npm test built it.
  const { stdout } = await npm(ROOT, ["pack", "--ignore-scripts", "--json", "--pack-destination", dir]);
  const [info] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
  tarball = join(dir, info!.filename);
  entries = info!.files.map((f) => f.path);
}, INSTALL_TIMEOUT);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("the tarball", () => {
  it("holds the compiled library, its types, the browser build and the docs, and nothing else", () => {
    expect(entries).toContain("dist/server/index.js");
    expect(entries).toContain("dist/server/index.d.ts");
    expect(entries).toContain("dist/client/index.js");
    expect(entries).toContain("dist/client/index.d.ts");
    expect(entries).toContain("dist/protocol/wire.js");
    expect(entries).toContain("dist/browser/manifest.json");
    expect(entries.some((e) => /^dist\/browser\/isoform-[A-Z0-9]+\.js$/.test(e))).toBe(true);
    expect(entries).toEqual(expect.arrayContaining(["README.md", "LICENSE", "package.json", "docs/protocol.md"]));
    expect(entries).toEqual(expect.arrayContaining(["views/error-summary.eta", "views/field.eta", "views/live-region.eta", "views/pending-item.eta"]));
    const allowed = /^(dist\/(server|client|protocol|browser)\/|docs\/[^/]+\.md$|views\/[^/]+\.eta$|README\.md$|LICENSE$|package\.json$)/;
    expect(entries.filter((e) => !allowed.test(e))).toEqual([]);
    // No TypeScript sources (declarations only), tests, e2e specs, bench, demo or build state.
    expect(entries.filter((e) => (e.endsWith(".ts") && !e.endsWith(".d.ts")) || /test|e2e|bench|examples|tsbuildinfo/.test(e))).toEqual([]);
  });
});

interface Running {
  url: string;
  child: ChildProcess;
}

/** How each server file is run: plain node, or the Bun and Deno binaries from this repository's npm packages. */
function command(file: string): [string, string[]] {
  if (file === "bun.js") return [join(ROOT, "node_modules/.bin/bun"), ["fetch.js"]];
  if (file === "deno.js") return [join(ROOT, "node_modules/.bin/deno"), ["run", "--allow-net", "--allow-read", "--allow-env", "--allow-sys", "--quiet", "fetch.js"]];
  return [process.execPath, [file]];
}

function start(cwd: string, file: string): Promise<Running> {
  return new Promise((resolvePromise, reject) => {
    const [cmd, args] = command(file);
    const child = spawn(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    const timer = setTimeout(() => reject(new Error(`${file} did not start: ${out}`)), 15_000);
    const onData = (c: Buffer) => {
      out += c.toString();
      const m = /LISTENING (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolvePromise({ url: `http://127.0.0.1:${m[1]}`, child });
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => reject(new Error(`${file} exited with ${code}: ${out}`)));
  });
}

const NAVIGATION = { "sec-fetch-mode": "navigate", "sec-fetch-site": "same-origin", accept: "text/html", "content-type": "application/x-www-form-urlencoded" };

describe.each([
  { server: "an express 5 app", app: "express5", file: "express.js" },
  { server: "an express 4 app", app: "express4", file: "express.js" },
  { server: "a node:http server", app: "express5", file: "node.js" },
  { server: "a Fastify app", app: "express5", file: "fastify.js" },
  { server: "a Hono app on @hono/node-server", app: "express5", file: "hono.js" },
  { server: "Bun.serve with isoform/fetch", app: "express5", file: "bun.js" },
  { server: "Deno.serve with isoform/fetch", app: "express5", file: "deno.js" },
])("installed from the tarball, $server", ({ app, file }) => {
  let running: Running;
  beforeAll(async () => {
    running = await start(apps[app]!, file);
  }, 30_000);
  afterAll(() => running?.child.kill());

  it("answers a no-JavaScript form post with 303 and shows the outcome on the page", async () => {
    const post = await request(`${running.url}/api/greet`, { method: "POST", headers: NAVIGATION, body: "who=Ada&_isoform_return=%2F" });
    expect(post.status).toBe(303);
    expect(post.headers.location).toBe("/");
    const cookie = String(post.headers["set-cookie"]).split(";")[0]!;
    const page = await request(`${running.url}/`, { headers: { cookie } });
    expect(page.text).toContain(`<pre id="result">{&quot;hello&quot;:&quot;Ada&quot;}</pre>`);
  });

  it("keeps what was typed after a refused no-JavaScript post", async () => {
    const post = await request(`${running.url}/api/greet`, { method: "POST", headers: NAVIGATION, body: "who=&_isoform_return=%2F" });
    expect(post.status).toBe(303);
    const cookie = String(post.headers["set-cookie"]).split(";")[0]!;
    const page = await request(`${running.url}/`, { headers: { cookie } });
    expect(page.text).toContain(`<pre id="result">null</pre>`);
  });

  it("answers an enhanced post with 200 JSON", async () => {
    const res = await request(`${running.url}/api/greet`, { method: "POST", headers: { "x-isoform": "1", "content-type": "application/x-www-form-urlencoded" }, body: "who=Bo" });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ hello: "Bo" });
  });

  it("knows its own origin, port included: an Origin-only post from it passes, a foreign one is refused", async () => {
    // Browsers without Fetch Metadata send only Origin; express 4's req.host drops the port.
    const headers = { "x-isoform": "1", "content-type": "application/x-www-form-urlencoded" };
    const own = await request(`${running.url}/api/greet`, { method: "POST", headers: { ...headers, origin: running.url }, body: "who=Cy" });
    expect(own.status).toBe(200);
    const foreign = await request(`${running.url}/api/greet`, { method: "POST", headers: { ...headers, origin: "http://evil.example" }, body: "who=Cy" });
    expect(foreign.status).toBe(403);
  });

  it("serves the browser script named by the page's script tag", async () => {
    const page = await request(`${running.url}/`);
    const src = /<script type="module" async src="([^"]+)"/.exec(page.text)?.[1];
    expect(src).toMatch(/^\/_isoform\/client\/isoform-[A-Z0-9]+\.js$/);
    const script = await request(`${running.url}${src}`);
    expect(script.status).toBe(200);
    expect(script.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(script.text.length).toBeGreaterThan(1000);
  });
});

const apps: Record<string, string> = {};

beforeAll(async () => {
  const files = { "functions.js": FUNCTIONS_JS, "page.js": PAGE_JS, "express.js": EXPRESS_JS, "node.js": NODE_JS, "fastify.js": FASTIFY_JS, "hono.js": HONO_JS, "fetch.js": FETCH_JS };
  const [five, four] = await Promise.all([
    makeApp("express5", ["express@5.3.0", "fastify@5.12.8", "hono@4.13.19", "@hono/node-server@2.1.9"], files),
    makeApp("express4", ["express@4.21.2"], files),
  ]);
  apps.express5 = five;
  apps.express4 = four;
}, INSTALL_TIMEOUT);

describe("dependencies", () => {
  it("an express 4 app has one express: isoform brings none of its own", async () => {
    const { stdout } = await npm(apps.express4!, ["ls", "express", "--all", "--parseable"]);
    const found = stdout.split("\n").filter((l) => /node_modules\/express$/.test(l));
    expect(found).toEqual([join(apps.express4!, "node_modules", "express")]);
    const { stdout: version } = await run(process.execPath, ["-p", "require('express/package.json').version"], { cwd: apps.express4! });
    expect(version.trim()).toMatch(/^4\./);
  });
});

describe("the shipped eta partials", () => {
  it("load from the installed package as @isoform/<name>, and render with the helpers", async () => {
    const app = apps.express5!;
    writeFileSync(
      join(app, "partials.js"),
      `import { loadPartials, PARTIALS_DIR } from "isoform";\n` +
        `const names = [];\n` +
        `loadPartials({ loadTemplate: (name, text) => names.push(name + ":" + (text.length > 0)) });\n` +
        `console.log(JSON.stringify({ dir: PARTIALS_DIR, names: names.sort() }));\n`,
    );
    const { stdout } = await run(process.execPath, ["partials.js"], { cwd: app });
    const { dir: found, names } = JSON.parse(stdout) as { dir: string; names: string[] };
    expect(found.startsWith(join(app, "node_modules", "isoform", "views"))).toBe(true);
    expect(names).toEqual(["@isoform/error-summary:true", "@isoform/field:true", "@isoform/live-region:true", "@isoform/pending-item:true"]);
  });
});

describe("a user's own browser bundle", () => {
  it("bundles isoform/client with esbuild, the CBOR codec in a chunk of its own loaded only when used", async () => {
    const app = apps.express5!;
    writeFileSync(join(app, "bundle-entry.js"), `import { stub, createServerAction } from "isoform/client";\n` +
      `const add = stub({ name: "add_todo", path: "/api/add_todo", method: "POST", encoding: "url" });\n` +
      `createServerAction(add).dispatch({ title: "x" });\n`);
    const { build } = await import("esbuild");
    const result = await build({ entryPoints: [join(app, "bundle-entry.js")], absWorkingDir: app, bundle: true, splitting: true, format: "esm", minify: true, outdir: join(app, "out"), metafile: true, logLevel: "silent" });
    const outputs = Object.values(result.metafile.outputs);
    const entry = outputs.find((o) => o.entryPoint === "bundle-entry.js")!;
    const lazy = outputs.filter((o) => o !== entry);
    expect(Object.keys(entry.inputs).filter((i) => i.includes("cbor"))).toEqual([]);
    expect(lazy.some((o) => Object.keys(o.inputs).some((i) => i.includes("node_modules/cbor-x/")))).toBe(true);
    expect(entry.bytes).toBeLessThan(8000);
  });
});

describe("types", () => {
  it("a consumer's strict TypeScript checks against the published declarations (skipLibCheck off)", async () => {
    const app = apps.express5!;
    writeFileSync(join(app, "functions.ts"), FUNCTIONS_TS);
    writeFileSync(join(app, "browser.ts"), BROWSER_TS);
    const args = ["--strict", "--exactOptionalPropertyTypes", "--noEmit", "--skipLibCheck", "false", "--module", "nodenext", "--moduleResolution", "nodenext", "--target", "es2022", "--lib", "es2023,dom,dom.iterable", "--types", "node", "functions.ts", "browser.ts"];
    const result = await run(TSC, args, { cwd: app }).then(
      () => "",
      (err: { stdout?: string; stderr?: string }) => `${err.stdout ?? ""}${err.stderr ?? ""}`,
    );
    expect(result).toBe("");
  }, 60_000);
});
