import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs build script, without type declarations
import { buildClient } from "../scripts/build-client.mjs";

/** The budget of the browser core (issue: ≤ 3 KB gzipped); heavy codecs live in lazy chunks. */
const CORE_BUDGET = 3 * 1024;

const dir = mkdtempSync(join(tmpdir(), "isoform-client-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("client bundle", () => {
  it(`keeps the core within ${CORE_BUDGET} bytes gzipped, with CBOR and multi-action forms in lazy chunks`, async () => {
    const manifest: { entry: string; files: string[] } = await buildClient({ dir });
    const gz = (f: string) => gzipSync(readFileSync(join(dir, f)), { level: 9 }).length;
    for (const f of manifest.files) {
      console.log(`client bundle: ${f} ${readFileSync(join(dir, f)).length} B minified, ${gz(f)} B gzipped${f === manifest.entry ? " (core)" : " (lazy)"}`);
    }
    expect(gz(manifest.entry)).toBeLessThanOrEqual(CORE_BUDGET);
    const core = readFileSync(join(dir, manifest.entry), "utf8");
    expect(core).not.toMatch(/cbor-x|decodeKey|maxSharedStructures/); // no CBOR code in the core
    // Lazy chunks only: a static import would load a shared chunk with every page.
    expect(core).not.toMatch(/(^|[;}])import\s*[{"*]|\bfrom\s*"\.\//);
    expect(manifest.files.length).toBeGreaterThan(1);
  });
});
