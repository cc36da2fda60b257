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
  for (const encoding of ["json", "cbor"] as const) {
    serverFn({ name: `form_${encoding}`, encoding, registry }, async (input: Record<string, unknown>) => ({
      saved: `${String(input.title)} (${(input.tags as string[] | undefined)?.join("+") ?? ""}) in ${(input.address as { city?: string } | undefined)?.city ?? "?"}`,
    }));
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
  app.get("/forms", (_req, res) => {
    const f = res.locals.isoform;
    const form = (name: string) =>
      `${f.form(name, { attrs: { id: name } })}<label>Title <input name="title"></label><input name="tags[]" value="a"><input name="tags[]" value="b">` +
      `<input name="address[city]" value="Oslo"><button>Save ${name}</button><output data-isoform-value="saved"></output>${f.formError(name)}</form>`;
    res.type("html").send(`<!doctype html><html lang="en"><title>forms</title>${form("form_json")}${form("form_cbor")}${f.script()}</html>`);
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

for (const encoding of ["json", "cbor"]) {
  test(`a form bound to a ${encoding} function submits in ${encoding} with JavaScript, and says it needs JavaScript without`, async ({ page, open, scriptMode }) => {
    test.skip(scriptMode === "delayed", "the js-on and js-off projects cover both paths");
    await page.goto(server.url + "/forms", { waitUntil: "domcontentloaded" });
    if (scriptMode === "on") await page.waitForFunction(() => document.documentElement.hasAttribute("data-isoform-ready"));
    void open;
    const form = page.locator(`#form_${encoding}`);
    await form.getByLabel("Title").fill("Pack");
    await form.getByRole("button").click();
    if (scriptMode === "on") {
      await expect(form.locator("output")).toHaveText("Pack (a+b) in Oslo");
    } else {
      await expect(page.locator(`#form_${encoding} .isoform-form-error`)).toContainText(`This form needs JavaScript: form_${encoding} takes ${encoding.toUpperCase()}`);
    }
  });
}
