import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

/** The client's minified and gzipped sizes (core and lazy chunks) next to htmx's own dist file. */
export function size(): { lines: string[]; verdicts: string[] } {
  const dir = "dist/browser";
  const manifest: { entry: string; files: string[]; holds?: Record<string, string[]> } = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
  const measure = (path: string) => {
    const bytes = readFileSync(path);
    return { min: bytes.length, gz: gzipSync(bytes, { level: 9 }).length };
  };
  const lines = ["\nclient size (gzip -9)", `  ${"file".padEnd(38)} minified   gzipped`];
  const row = (label: string, m: { min: number; gz: number }) => lines.push(`  ${label.padEnd(38)} ${String(m.min).padStart(9)} ${String(m.gz).padStart(9)}`);
  const core = measure(join(dir, manifest.entry));
  row(`${manifest.entry} (core)`, core);
  const holds = (f: string) => (manifest.holds?.[f] ?? []).map((m) => m.replace(/^client\/|\.ts$/g, "")).join(", ");
  for (const f of manifest.files.filter((f) => f !== manifest.entry)) row(`${f} (lazy: ${holds(f)})`, measure(join(dir, f)));
  const htmx = measure(createRequire(import.meta.url).resolve("htmx.org/dist/htmx.min.js"));
  row("htmx.org/dist/htmx.min.js", htmx);
  lines.push(`  core / htmx = ${(core.gz / htmx.gz).toFixed(2)}`);
  return { lines, verdicts: [`client core: ${core.gz} B gzipped (target ≤ 3072) ${core.gz <= 3072 ? "PASS" : "MISS"}`] };
}
