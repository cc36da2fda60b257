import { afterAll, beforeAll, describe, expect, it } from "vitest";
import express from "express";
import { isoform, serverFn } from "../server/index.js";
import { startApp } from "./support/app.js";
import { listen } from "./support/listen.js";
import { formPost, navigationHeaders, request } from "./support/request.js";

// Every error type and status of docs/protocol.md §4, as the envelope `{error: {type, message, ...}}`.
let app: Awaited<ReturnType<typeof startApp>>;
beforeAll(async () => (app = await startApp()));
afterAll(() => app.close());

async function envelope(res: Response | { status: number; text: string }) {
  const text = "text" in res && typeof res.text === "string" ? res.text : await (res as Response).text();
  return { status: res.status, body: JSON.parse(text) as { error: { type: string; message: string; issues?: unknown; limit?: string } } };
}

describe("error envelopes", () => {
  it("422 Validation with issues [{path, message}]", async () => {
    const { status, body } = await envelope(await fetch(app.url + "/api/add_todo", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "title=%20" }));
    expect(status).toBe(422);
    expect(body.error.type).toBe("Validation");
    expect(body.error.issues).toEqual([{ path: ["title"], message: "Title is required" }]);
  });

  it("a ServerFnError keeps its chosen status and public message", async () => {
    for (const [path, status, message] of [["/api/conflict", 409, "That name is taken"], ["/api/teapot", 418, "I'm a teapot"]] as const) {
      const { status: got, body } = await envelope(await fetch(app.url + path, { method: "POST" }));
      expect(got).toBe(status);
      expect(body.error).toEqual({ type: "ServerError", message });
    }
  });

  it("anything else is 500 Internal error in production, with no stack or message leaked", async () => {
    const res = await fetch(app.url + "/api/crash", { method: "POST" });
    const text = await res.text();
    expect(res.status).toBe(500);
    expect(JSON.parse(text)).toEqual({ error: { type: "ServerError", message: "Internal error" } });
    expect(text).not.toMatch(/password|at .*\.ts|Error:/);
  });

  it("outside production the message is shown, still without a stack", async () => {
    const dev = await startApp({ production: false });
    try {
      const text = await (await fetch(dev.url + "/api/crash", { method: "POST" })).text();
      expect(JSON.parse(text).error.message).toMatch(/secret database password/);
      expect(text).not.toMatch(/\n\s+at /);
    } finally {
      await dev.close();
    }
  });

  it("404 NotFound for an unknown function under a prefix, naming the path", async () => {
    const { status, body } = await envelope(await fetch(app.url + "/api/nope", { method: "POST" }));
    expect(status).toBe(404);
    expect(body.error.type).toBe("NotFound");
    expect(body.error.message).toMatch(/\/api\/nope/);
  });

  it("a path outside every prefix is left to the app", async () => {
    const res = await fetch(app.url + "/elsewhere");
    expect(res.status).toBe(404);
    // The app's own 404 (express's is HTML, Fastify's JSON of its own), not isoform's envelope.
    expect(await res.text()).not.toContain(`"type":"NotFound"`);
  });

  it("405 MethodNotAllowed with Allow, both ways", async () => {
    const post = await fetch(app.url + "/api/add_todo");
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("POST");
    expect((await envelope(post)).body.error.type).toBe("MethodNotAllowed");
    const get = await fetch(app.url + "/api/echo_get_json", { method: "POST" });
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("GET, HEAD");
  });

  it("415 UnsupportedMediaType for the wrong content type", async () => {
    const { status, body } = await envelope(await fetch(app.url + "/api/echo_json", { method: "POST", headers: { "content-type": "text/plain" }, body: "{}" }));
    expect(status).toBe(415);
    expect(body.error.type).toBe("UnsupportedMediaType");
    expect(body.error.message).toMatch(/application\/json/);
  });

  it("413 PayloadTooLarge names the limit", async () => {
    const { status, body } = await envelope(await formPost(app.url + "/api/echo_url", "a=" + "x".repeat(1024 * 1024 + 1)));
    expect(status).toBe(413);
    expect(body.error).toMatchObject({ type: "PayloadTooLarge", limit: "bodySize" });
  });

  it("400 Deserialization for a malformed body", async () => {
    const { status, body } = await envelope(await fetch(app.url + "/api/echo_json", { method: "POST", headers: { "content-type": "application/json" }, body: "{" }));
    expect(status).toBe(400);
    expect(body.error.type).toBe("Deserialization");
  });

  it("403 Forbidden for a cross-origin browser post", async () => {
    const res = await request(app.url + "/api/add_todo", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", "sec-fetch-site": "cross-site", origin: "https://evil.example", "x-isoform": "1" }, body: "title=x" });
    expect(res.status).toBe(403);
    expect((res.json() as { error: { type: string } }).error.type).toBe("Forbidden");
  });

  it("a plain-browser refusal is an HTML page, not an envelope", async () => {
    const res = await request(app.url + "/api/add_todo", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", "sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate", origin: "https://evil.example", accept: "text/html" }, body: "title=x" });
    expect(res.status).toBe(403);
    expect(res.headers["content-type"]).toMatch(/text\/html/);
    expect(res.text).toMatch(/Request refused/);
  });

  it("a result JSON cannot carry (a BigInt) is a 500 envelope naming no internals, and a plain form still gets its 303", async () => {
    // The types refuse this (test/types.test.ts); a handler typed loosely can still do it at run time.
    serverFn({ name: "big_result", registry: app.registry }, (async () => 2n ** 64n) as () => Promise<unknown>);
    const { status, body } = await envelope(await fetch(app.url + "/api/big_result", { method: "POST" }));
    expect(status).toBe(500);
    expect(body.error).toEqual({ type: "ServerError", message: "Internal error" });
    const nav = await formPost(app.url + "/api/big_result", "_isoform_return=%2Fform", navigationHeaders());
    expect(nav.status).toBe(303);
    expect(nav.headers.location).toBe("/form");
  });

  it("a body parser mounted before isoform() is named in a 500, not a request that hangs", async () => {
    const parsed = express();
    parsed.use(express.urlencoded({ extended: true }), express.json());
    parsed.use(isoform({ registry: app.registry, secret: "s", production: true, log: () => {} }));
    const server = await listen(parsed);
    try {
      for (const [type, body] of [["application/x-www-form-urlencoded", "a=1"], ["application/json", "{}"]]) {
        const res = await fetch(server.url + (type.includes("json") ? "/api/echo_json" : "/api/echo_url"), { method: "POST", headers: { "content-type": type }, body, signal: AbortSignal.timeout(3000) });
        const { status, body: envelopeBody } = await envelope(res);
        expect(status).toBe(500);
        expect(envelopeBody.error.message).toMatch(/mount isoform\(\) first/);
      }
    } finally {
      await server.close();
    }
  });
});
