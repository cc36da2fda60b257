import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as v from "valibot";
import { z } from "zod";
import { isoform, Registry, serverFn, ServerFnError } from "../server/index.js";
import { startApp } from "./support/app.js";
import { listen } from "./support/listen.js";
import { formPost, navigationHeaders, request } from "./support/request.js";

let app: Awaited<ReturnType<typeof startApp>>;
beforeAll(async () => (app = await startApp()));
afterAll(() => app.close());

describe("serverFn", () => {
  it("carries its name, path, method and encoding", () => {
    const registry = new Registry();
    const fn = serverFn({ name: "list_things", encoding: "get-json", registry }, async () => []);
    expect([fn.name, fn.path, fn.method, fn.encoding]).toEqual(["list_things", "/api/list_things", "GET", "get-json"]);
    const custom = serverFn({ name: "custom", prefix: "/rpc/", endpoint: "/v1/do", encoding: "cbor", registry }, async () => 1);
    expect([custom.path, custom.method]).toEqual(["/rpc/v1/do", "POST"]);
    expect(app.fns.v2.path).toBe("/v2/things/make");
  });

  it("is served at a custom prefix and endpoint", async () => {
    const res = await fetch(app.url + "/v2/things/make", { method: "POST" });
    expect(await res.json()).toBe("made");
  });

  it("refuses a bad name or encoding with a message that says how to fix it", () => {
    const registry = new Registry();
    expect(() => serverFn({ name: "has space", registry }, async () => 1)).toThrow(/letters, digits/);
    expect(() => serverFn({ name: "", registry }, async () => 1)).toThrow(/non-empty/);
    expect(() => serverFn({ name: "x", encoding: "xml" as never, registry }, async () => 1)).toThrow(/use one of url, get-json/);
  });

  it("called directly on the server: validation and handler, no HTTP", async () => {
    expect(await app.fns.addTodo({ title: "  Buy milk  " })).toEqual({ id: 1, title: "Buy milk" });
    const error = await app.fns.addTodo({ title: " " }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerFnError);
    expect(error).toMatchObject({ type: "Validation", status: 422, issues: [{ path: ["title"], message: "Title is required" }] });
  });

  it("validates with any Standard Schema library (valibot here)", async () => {
    const registry = new Registry();
    const fn = serverFn({ name: "vb", input: v.object({ n: v.pipe(v.string(), v.transform(Number), v.number()) }), registry }, async ({ n }) => n * 2);
    expect(await fn({ n: "21" })).toBe(42);
    await expect(fn({ n: 3 } as never)).rejects.toMatchObject({ type: "Validation", issues: [{ path: ["n"] }] });
  });

  it("aborts ctx.signal when the client goes away", async () => {
    const registry = new Registry();
    let aborted!: () => void;
    const wasAborted = new Promise<void>((r) => (aborted = r));
    let started!: () => void;
    const hasStarted = new Promise<void>((r) => (started = r));
    serverFn({ name: "slow", registry }, (_input, ctx) => {
      started();
      ctx.signal.addEventListener("abort", () => aborted());
      return new Promise(() => {}); // never answers on its own
    });
    const ex = express();
    ex.use(isoform({ registry, secret: "s", log: () => {} }));
    const server = await listen(ex);
    try {
      const controller = new AbortController();
      const call = fetch(server.url + "/api/slow", { method: "POST", signal: controller.signal }).catch(() => "aborted");
      await hasStarted;
      controller.abort();
      expect(await call).toBe("aborted");
      await expect(Promise.race([wasAborted.then(() => "signal fired"), new Promise((r) => setTimeout(() => r("timeout"), 2000))])).resolves.toBe("signal fired");
    } finally {
      await server.close();
    }
  });
});

describe("redirects, per kind of caller", () => {
  for (const path of ["/api/move_ctx", "/api/move_throw"]) {
    const via = path.endsWith("ctx") ? "ctx" : "throw";
    it(`${via}: an enhanced caller gets the target in a header`, async () => {
      const res = await request(app.url + path, { method: "POST", headers: { "x-isoform": "1" } });
      expect(res.status).toBe(200);
      expect(res.headers["x-isoform-redirect"]).toBe(`/done?via=${via}`);
    });

    it(`${via}: htmx gets HX-Redirect`, async () => {
      const res = await request(app.url + path, { method: "POST", headers: { "hx-request": "true" } });
      expect(res.status).toBe(200);
      expect(res.headers["hx-redirect"]).toBe(`/done?via=${via}`);
    });

    it(`${via}: a plain form (navigation) gets 303 See Other`, async () => {
      const res = await request(app.url + path, { method: "POST", headers: { ...navigationHeaders(), "content-type": "application/x-www-form-urlencoded" }, body: "" });
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe(`/done?via=${via}`);
    });

    it(`${via}: another program gets the header too`, async () => {
      const res = await request(app.url + path, { method: "POST" });
      expect(res.headers["x-isoform-redirect"]).toBe(`/done?via=${via}`);
    });
  }

  it("an off-site redirect target is never followed", async () => {
    const nav = await request(app.url + "/api/move_offsite", { method: "POST", headers: { ...navigationHeaders(), "content-type": "application/x-www-form-urlencoded" }, body: "" });
    expect(nav.headers.location ?? "").not.toMatch(/evil/);
    const enhanced = await request(app.url + "/api/move_offsite", { method: "POST", headers: { "x-isoform": "1" } });
    expect(enhanced.headers["x-isoform-redirect"] ?? "").not.toMatch(/evil/);
  });

  it("a successful navigation returns to the hidden return field, else the Referer, else /", async () => {
    const withField = await formPost(app.url + "/api/add_todo", "title=a&_isoform_return=%2Fform%3Fx%3D1", navigationHeaders());
    expect([withField.status, withField.headers.location]).toEqual([303, "/form?x=1"]);
    const withReferer = await formPost(app.url + "/api/add_todo", "title=a", { ...navigationHeaders(), referer: `${app.origin}/done` });
    expect(withReferer.headers.location).toBe("/done");
    const offsite = await formPost(app.url + "/api/add_todo", "title=a&_isoform_return=https%3A%2F%2Fevil.example%2F", { ...navigationHeaders(), referer: "https://evil.example/x" });
    expect(offsite.headers.location).toBe("/");
  });
});

describe("htmx", () => {
  it("gets a function's HTML view, rendered for the page it is on", async () => {
    const res = await request(app.url + "/api/list_view", { headers: { "hx-request": "true", "hx-current-url": `${app.origin}/form?tab=2` } });
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/html/);
    expect(res.text).toContain("<ul><li>one</li><li>two</li></ul>");
    expect(res.text).toContain('<input type="hidden" name="_isoform_return" value="/form?tab=2">');
  });

  it("other callers get the JSON value of the same function", async () => {
    expect(await (await fetch(app.url + "/api/list_view")).json()).toEqual(["one", "two"]);
  });

  it("a foreign HX-Current-URL does not become a return page", async () => {
    const res = await request(app.url + "/api/list_view", { headers: { "hx-request": "true", "hx-current-url": "https://evil.example/x" } });
    expect(res.text).toContain('name="_isoform_return" value="/"');
  });
});

describe("zod schemas type the handler", () => {
  it("coerces and defaults as the schema says", async () => {
    const registry = new Registry();
    const fn = serverFn({ name: "z", input: z.object({ n: z.coerce.number(), tags: z.array(z.string()).default([]) }), registry }, async (i) => i);
    expect(await fn({ n: "7" })).toEqual({ n: 7, tags: [] });
  });
});
