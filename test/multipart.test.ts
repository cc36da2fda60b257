import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp } from "./support/app.js";

// File uploads from a plain form: parsed by busboy, held in memory within the limits.
let app: Awaited<ReturnType<typeof startApp>>;
beforeAll(async () => (app = await startApp()));
afterAll(() => app.close());

const upload = (form: FormData) => fetch(app.url + "/api/upload", { method: "POST", body: form });

describe("multipart", () => {
  it("files reach the handler with name, type, size and bytes, next to the fields", async () => {
    const form = new FormData();
    form.append("caption", "Hello ✓");
    form.append("doc", new Blob(["file body ✓"], { type: "text/plain" }), "notes.txt");
    const res = await upload(form);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      fields: { caption: "Hello ✓" },
      files: [{ field: "doc", name: "notes.txt", type: "text/plain", size: Buffer.byteLength("file body ✓"), text: "file body ✓" }],
    });
  });

  it("an empty file input (nothing chosen) is no file", async () => {
    const form = new FormData();
    form.append("caption", "x");
    form.append("doc", new Blob([], { type: "application/octet-stream" }), "");
    expect(await (await upload(form)).json()).toEqual({ fields: { caption: "x" }, files: [] });
  });

  for (const [limit, make] of [
    ["fileSize", (f: FormData) => f.append("doc", new Blob(["x".repeat(1001)]), "big.bin")],
    ["files", (f: FormData) => ["a", "b", "c"].forEach((n) => f.append(n, new Blob(["x"]), `${n}.txt`))],
    ["fields", (f: FormData) => Array.from({ length: 6 }, (_, i) => f.append(`k${i}`, "v"))],
  ] as const) {
    it(`over the per-function ${limit} limit: 413 naming it, server fine afterwards`, async () => {
      const form = new FormData();
      make(form);
      const res = await upload(form);
      expect(res.status).toBe(413);
      expect((await res.json()).error).toMatchObject({ type: "PayloadTooLarge", limit });
      const ok = new FormData();
      ok.append("caption", "after");
      expect((await upload(ok)).status).toBe(200);
    });
  }
});
