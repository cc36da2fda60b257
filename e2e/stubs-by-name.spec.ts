import { build } from "esbuild";
import express from "express";
import { fileURLToPath } from "node:url";
import { isoform, Registry, serverFn } from "../server/index.js";
import { listen, type Listening } from "../test/support/listen.js";
import { expect, test } from "./fixtures.js";

/**
 * Stubs made by name from a real page: the page's script names each function and nothing
 * else; path, method and encoding come from the manifest the `script()` helper writes. One
 * function per encoding, on a server of this spec's own. JavaScript only.
 */
const ENCODINGS = ["url", "json", "cbor", "get-json", "get-cbor", "multipart"] as const;
let server: Listening;
let bundle: string;

test.beforeAll(async () => {
  const registry = new Registry();
  for (const encoding of ENCODINGS) {
    serverFn({ name: `stub_${encoding.replace("-", "_")}`, encoding, registry }, async (input) => ({ ...input, encoding }));
  }
  const built = await build({
    entryPoints: [fileURLToPath(new URL("./support/stub-page.ts", import.meta.url))],
    bundle: true,
    splitting: true,
    format: "esm",
    minify: true,
    outdir: "/stubs",
    write: false,
    logLevel: "silent",
  });
  const files = new Map(built.outputFiles.map((f) => [f.path.slice("/stubs".length), f.text]));
  bundle = files.get("/stub-page.js")!;
  const app = express();
  app.use(isoform({ registry, secret: "stubs", production: true }));
  app.get("/stubs/:file", (req, res) => {
    const text = files.get(`/${req.params.file}`);
    if (text === undefined) return void res.sendStatus(404);
    res.type("text/javascript").send(text);
  });
  app.get("/", (_req, res) => {
    const f = res.locals.isoform;
    const rows = ENCODINGS.map((e) => `<li>${e}: <output id="stub_${e.replace("-", "_")}"></output></li>`).join("");
    res.type("html").send(`<!doctype html><html lang="en"><title>stubs</title><ul>${rows}</ul>${f.script()}<script type="module" src="/stubs/stub-page.js"></script></html>`);
  });
  server = await listen(app);
});
test.afterAll(() => server?.close());

test("stubs made by name call a function of every encoding, with no metadata written by hand", async ({ page, scriptMode }) => {
  test.skip(scriptMode !== "on", "a stub is JavaScript: this spec runs in the js-on project");
  // The page's own code names functions only: no endpoint of them in what it ships.
  expect(bundle).not.toContain("/api/");
  await page.goto(server.url + "/");
  for (const encoding of ENCODINGS) {
    const out = page.locator(`#stub_${encoding.replace("-", "_")}`);
    await expect(out).not.toBeEmpty();
    expect(JSON.parse((await out.textContent())!)).toEqual({ title: `hello stub_${encoding.replace("-", "_")}`, tags: ["a", "b"], empty: [], encoding });
  }
});
