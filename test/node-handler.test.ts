import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRequestHandler } from "../server/index.js";
import { testRegistry } from "./support/app.js";
import { listen, type Listening } from "./support/listen.js";
import { formPost, navigationHeaders, request } from "./support/request.js";

// The same core without express: functions, the client script, PRG, and the app's own pages.
const clientDir = mkdtempSync(join(tmpdir(), "isoform-node-"));
writeFileSync(join(clientDir, "manifest.json"), JSON.stringify({ entry: "isoform-TEST.js", files: ["isoform-TEST.js"] }));
writeFileSync(join(clientDir, "isoform-TEST.js"), "console.log('client')");

let server: Listening;
beforeAll(async () => {
  const { registry } = testRegistry();
  const handler = createRequestHandler({
    registry,
    secret: "s",
    production: true,
    log: () => {},
    clientDir,
    fallback: (req, res) => {
      const f = handler.helpers(req, res);
      res.setHeader("content-type", "text/html");
      res.end(`<p id="v">${f.value("add_todo", "title")}</p>${f.error("add_todo", "title")}${f.script()}`);
    },
  });
  server = await listen(handler);
});
afterAll(async () => {
  await server.close();
  rmSync(clientDir, { recursive: true, force: true });
});

describe("createRequestHandler (node:http)", () => {
  it("serves functions with the same envelopes", async () => {
    const ok = await fetch(server.url + "/api/add_todo", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "title=hi" });
    expect(await ok.json()).toEqual({ id: 1, title: "hi" });
    const bad = await fetch(server.url + "/api/add_todo", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "title=" });
    expect(bad.status).toBe(422);
    const missing = await fetch(server.url + "/api/none", { method: "POST" });
    expect(missing.status).toBe(404);
  });

  it("serves the client script with an immutable cache", async () => {
    const res = await fetch(server.url + "/_isoform/client/isoform-TEST.js");
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(res.headers.get("content-type")).toMatch(/javascript/);
    expect(await res.text()).toBe("console.log('client')");
    expect((await fetch(server.url + "/_isoform/client/other.js")).status).toBe(404);
  });

  it("runs Post/Redirect/Get through the app's own page renderer", async () => {
    const res = await formPost(server.url + "/api/add_todo", "title=&_isoform_return=%2Fpage", navigationHeaders());
    expect(res.status).toBe(303);
    const cookie = String(res.headers["set-cookie"]).split(";")[0];
    const html = (await request(server.url + "/page", { headers: { cookie } })).text;
    expect(html).toContain("Title is required");
    expect(html).toContain('<script type="module" async src="/_isoform/client/isoform-TEST.js"></script>');
  });

  it("renders the app's own page through fallback, with the error status, when the outcome is too big for a cookie", async () => {
    const title = "t".repeat(50_000);
    const res = await formPost(server.url + "/api/add_todo", `title=${title}&_isoform_return=%2Fpage`, navigationHeaders());
    expect(res.status).toBe(422);
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(res.text).toContain(`<p id="v">${title}</p>`);
    expect(res.text).toContain("Title is too long");
  });

  it("renders a plain page keeping the input when the outcome is too big for a cookie and there is no fallback", async () => {
    const { registry } = testRegistry();
    const bare = await listen(createRequestHandler({ registry, secret: "s", production: true, log: () => {} }));
    try {
      const body = "x".repeat(50_000);
      const res = await formPost(bare.url + "/api/add_todo", `title=ok&body=${body}`, navigationHeaders());
      expect(res.status).toBe(422);
      expect(res.text).toContain(body);
      expect(res.text).toContain("Body is too long");
    } finally {
      await bare.close();
    }
  });
});
