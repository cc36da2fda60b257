// Bundles the browser script (client/browser.ts) into dist/browser with content-hashed names,
// so the server can serve them with a year-long immutable cache. Heavy parts (the CBOR codec)
// are split into chunks loaded only when a page needs them. Writes dist/browser/manifest.json
// ({ entry, files, holds }), which server/client-assets.ts reads.
import { build } from "esbuild";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";

const outdir = "dist/browser";

export async function buildClient({ dir = outdir, write = true } = {}) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const result = await build({
    entryPoints: { isoform: "client/browser.ts" },
    bundle: true,
    splitting: true,
    format: "esm",
    minify: true,
    target: "es2022",
    outdir: dir,
    entryNames: "[name]-[hash]",
    chunkNames: "chunk-[hash]",
    metafile: true,
    legalComments: "none",
    write,
    logLevel: "warning",
  });
  const outputs = Object.entries(result.metafile.outputs);
  const entry = outputs.find(([, o]) => o.entryPoint === "client/browser.ts");
  if (!entry) throw new Error("build-client: esbuild produced no output for client/browser.ts");
  const files = outputs.map(([file]) => basename(file)).filter((f) => !f.endsWith(".map"));
  // What each file holds, by the project's own modules in it (for the size report).
  const holds = Object.fromEntries(outputs.map(([file, o]) => [basename(file), Object.keys(o.inputs).filter((i) => /^(client|protocol)\//.test(i))]));
  // What the page preloads (`script()` writes a modulepreload link for each): the chunk that
  // shows a settled submission (client/feedback.ts) and the chunks it imports, so the first
  // error or success shows without waiting for another request.
  const preload = [];
  const visit = (file) => {
    if (preload.includes(basename(file))) return;
    preload.push(basename(file));
    for (const i of result.metafile.outputs[file].imports) if (i.kind === "import-statement" && i.path !== entry[0]) visit(i.path);
  };
  const feedback = outputs.find(([, o]) => Object.keys(o.inputs).includes("client/feedback.ts"));
  if (!feedback) throw new Error("build-client: no chunk holds client/feedback.ts");
  visit(feedback[0]);
  const manifest = { entry: basename(entry[0]), files, preload, holds };
  writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
  return manifest;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const manifest = await buildClient();
  console.log(`build-client: ${manifest.files.join(", ")} → ${outdir}`);
}
