import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp } from "./support/app.js";
import { formPost, navigationHeaders, request } from "./support/request.js";

/**
 * The three things every adapter must do, over real HTTP (vitest.config.ts runs this file
 * once per adapter and runtime, named in the report): a no-JavaScript form post, an
 * enhanced post and the browser script. Needs the browser build (`npm run build`).
 */
let app: Awaited<ReturnType<typeof startApp>>;
beforeAll(async () => (app = await startApp()));
afterAll(() => app.close());

describe(`the ${process.env.ISOFORM_ADAPTER ?? "express5"} adapter`, () => {
  it("answers a no-JavaScript post with 303 and shows the outcome on the return page, then forgets it", async () => {
    const post = await formPost(`${app.url}/api/add_todo`, "title=Walk+the+dog&_isoform_return=%2Fform", navigationHeaders());
    expect(post.status).toBe(303);
    expect(post.headers.location).toBe("/form");
    const cookie = String(post.headers["set-cookie"]).split(";")[0]!;
    const page = await request(`${app.url}/form`, { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(page.text).toContain(`<pre id="result">{&quot;id&quot;:1,&quot;title&quot;:&quot;Walk the dog&quot;}</pre>`);
    expect(String(page.headers["set-cookie"])).toMatch(/^isoform_outcome=; Path=\/; Max-Age=0/);
    expect(page.headers["cache-control"]).toBe("no-store");
  });

  it("keeps what was typed after a refused no-JavaScript post", async () => {
    const post = await formPost(`${app.url}/api/add_todo`, "title=+&body=kept+text&_isoform_return=%2F", navigationHeaders());
    expect(post.status).toBe(303);
    const cookie = String(post.headers["set-cookie"]).split(";")[0]!;
    const page = await request(`${app.url}/`, { headers: { cookie } });
    expect(page.text).toContain(`<textarea name="body">kept text</textarea>`);
    expect(page.text).toContain("Title is required");
  });

  it("answers an enhanced post with 200 JSON", async () => {
    const res = await formPost(`${app.url}/api/add_todo`, "title=Enhanced", { "x-isoform": "1" });
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(res.json()).toEqual({ id: 1, title: "Enhanced" });
  });

  it("serves the browser script the page's helpers name, with a year-long immutable cache", async () => {
    const page = await request(`${app.url}/`);
    expect(page.status).toBe(200);
    const entry = JSON.parse((await import("node:fs")).readFileSync(new URL("../dist/browser/manifest.json", import.meta.url), "utf8")).entry;
    const script = await request(`${app.url}/_isoform/client/${entry}`);
    expect(script.status).toBe(200);
    expect(script.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(script.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect(script.text).toContain("isoform");
    expect(script.headers["content-encoding"]).toBeUndefined();
    // Compressed when the browser says it can read it: brotli first, else gzip.
    for (const [accept, encoding, decode] of [
      ["gzip, deflate, br, zstd", "br", brotliDecompressSync],
      ["gzip, deflate", "gzip", gunzipSync],
      ["br;q=0, gzip", "gzip", gunzipSync],
    ] as const) {
      const packed = await request(`${app.url}/_isoform/client/${entry}`, { headers: { "accept-encoding": accept } });
      expect(packed.headers["content-encoding"]).toBe(encoding);
      expect(packed.headers.vary).toBe("Accept-Encoding");
      expect(packed.body.length).toBeLessThan(script.body.length / 1.5);
      expect(decode(packed.body).equals(script.body)).toBe(true);
    }
  });
});
