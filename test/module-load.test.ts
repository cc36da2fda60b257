import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";

/**
 * Every server module loads, imported here inside a test rather than at the top of the file:
 * a module that throws while loading (a bad TextDecoder label, a constant that cannot be
 * built) then fails a test that names it. A suite that imports it at the top fails to load
 * instead, which StrykerJS's vitest runner counts as no test run at all (docs/mutation.md).
 */
const modules = [
  ...readdirSync(new URL("../server/", import.meta.url)).filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts")).map((f) => `../server/${f}`),
  ...readdirSync(new URL("../server/codecs/", import.meta.url)).filter((f) => f.endsWith(".ts")).map((f) => `../server/codecs/${f}`),
].map((f) => f.replace(/\.ts$/, ".js"));

describe("server modules", () => {
  it("are found", () => {
    expect(modules).toContain("../server/index.js");
    expect(modules).toContain("../server/codecs/json.js");
  });

  for (const m of modules) {
    it(`${m} loads`, async () => {
      await expect(import(/* @vite-ignore */ m)).resolves.toBeTypeOf("object");
    });
  }
});
