import express from "express";
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { createServerAction, createServerMultiAction, ServerFnError, stub } from "../client/index.js";
import type { AnyServerFnLike, MetaOf } from "../protocol/types.js";
import { isoform, redirect, Registry, serverFn } from "../server/index.js";
import { listen, type Listening } from "./support/listen.js";

// Typed stubs against a real isoform app on 127.0.0.1, one function per encoding.
const registry = new Registry();
const input = z.object({ title: z.string().min(1, "Title is required"), tags: z.array(z.string()).default([]), meta: z.object({ n: z.coerce.number() }).optional() });
const echo = (encoding: "url" | "json" | "cbor" | "get-json" | "get-cbor" | "multipart") =>
  serverFn({ name: `echo_${encoding.replace("-", "_")}`, encoding, input, registry }, async (v) => ({ ...v, encoding }));
const fns = {
  url: echo("url"),
  json: echo("json"),
  cbor: echo("cbor"),
  "get-json": echo("get-json"),
  "get-cbor": echo("get-cbor"),
  multipart: echo("multipart"),
};
/** The same encodings with no schema: what the wire carries is what the handler gets. */
const rawEcho = (encoding: "url" | "json" | "cbor" | "get-json" | "get-cbor" | "multipart") =>
  serverFn({ name: `raw_${encoding.replace("-", "_")}`, encoding, registry }, async (v) => v);
const raw = { url: rawEcho("url"), json: rawEcho("json"), cbor: rawEcho("cbor"), "get-json": rawEcho("get-json"), "get-cbor": rawEcho("get-cbor"), multipart: rawEcho("multipart") };
const moved = serverFn({ name: "moved", registry }, async () => redirect("/elsewhere"));
const conflict = serverFn({ name: "conflict", registry }, async (): Promise<number> => {
  throw new ServerFnError("Already taken", { status: 409 });
});

let server: Listening;
beforeAll(async () => {
  const app = express();
  // What sits in front of an app: a login wall answering a plain 302, a proxy's HTML page.
  app.post("/walled/api/moved", (_req, res) => void res.redirect(302, "/login"));
  app.post("/proxied/api/moved", (_req, res) => void res.status(200).type("html").send("<h1>Please wait</h1>"));
  app.use(isoform({ registry, secret: "test" }));
  server = await listen(app);
});
afterAll(() => server.close());

/** The object form's metadata, copied from the function (its literal types kept). */
const meta = <F extends AnyServerFnLike>(fn: F): MetaOf<F> => ({
  name: fn.name,
  path: fn.path,
  method: fn.method,
  encoding: fn.encoding,
});

describe("stub", () => {
  for (const [encoding, fn] of Object.entries(fns)) {
    it(`round-trips nested input and unicode in ${encoding}`, async () => {
      const call = stub<typeof fn>(meta(fn), { base: server.url });
      const out = await call({ title: "Grüße 🌍 עברית", tags: ["a", "", "c"], meta: { n: 3 } });
      expect(out).toEqual({ title: "Grüße 🌍 עברית", tags: ["a", "", "c"], meta: { n: 3 }, encoding });
    });
  }

  for (const [encoding, fn] of Object.entries(fns)) {
    it(`made by name, finds ${encoding}'s path, method and encoding in the server's manifest`, async () => {
      const call = stub<typeof fn>(fn.name, { base: server.url });
      const out = await call({ title: "by name", tags: ["x"], meta: { n: 1 } });
      expect(out).toEqual({ title: "by name", tags: ["x"], meta: { n: 1 }, encoding });
    });
  }

  for (const [encoding, fn] of Object.entries(raw)) {
    it(`sends empty arrays that arrive as empty arrays in ${encoding}, with no schema default to fill them`, async () => {
      const call = stub<typeof fn>(fn.name, { base: server.url });
      expect(await call({ title: "none", tags: [], nested: { list: [], kept: ["x"] } })).toEqual({ title: "none", tags: [], nested: { list: [], kept: ["x"] } });
    });
  }

  it("made by a name the server does not know, rejects with NotFound naming it", async () => {
    const call = stub<typeof fns.url>("echo_url" as never, { base: server.url });
    const missing = stub<typeof fns.url>("no_such_fn" as never, { base: server.url });
    expect(await call({ title: "ok" })).toMatchObject({ title: "ok" });
    await expect(missing({ title: "x" })).rejects.toMatchObject({ type: "NotFound", message: expect.stringContaining('"no_such_fn"') });
  });

  it("is typed from the server function", () => {
    const call = stub<typeof fns.url>(meta(fns.url), { base: server.url });
    expectTypeOf(call).parameter(0).toEqualTypeOf<{ title: string; tags?: string[]; meta?: { n: unknown } }>();
    // @ts-expect-error: a number is not a title
    void (() => call({ title: 1 }));
    expect(call.path).toBe("/api/echo_url");
    expect(call.name).toBe("echo_url");
  });

  it("rejects with a ServerFnError carrying the validation issues", async () => {
    const call = stub<typeof fns.json>(meta(fns.json), { base: server.url });
    const error = await call({ title: "" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerFnError);
    expect(error).toMatchObject({ type: "Validation", status: 422, issues: [{ path: ["title"], message: "Title is required" }] });
  });

  it("rejects with the handler's chosen status and message", async () => {
    const call = stub<typeof conflict>(meta(conflict as never), { base: server.url });
    await expect(call({})).rejects.toMatchObject({ type: "ServerError", status: 409, message: "Already taken" });
  });

  it("hands a redirect to onRedirect", async () => {
    const seen: string[] = [];
    const call = stub<typeof moved>(meta(moved as never), { base: server.url, onRedirect: (url) => seen.push(url) });
    expect(await call({})).toBeUndefined();
    expect(seen).toEqual(["/elsewhere"]);
  });

  it("turns an unreachable server into a Request error", async () => {
    const call = stub<typeof fns.url>(meta(fns.url), { base: "http://127.0.0.1:9" });
    const action = createServerAction(call);
    await action.dispatch({ title: "x" });
    expect(action.error.get()).toMatchObject({ type: "Request", message: "Network error: check your connection and try again." });
  });

  it("rejects an aborted call with a ServerFnError too: Request, Canceled", async () => {
    const call = stub<typeof fns.url>(meta(fns.url), { base: server.url });
    const rejected = await call({ title: "x" }, { signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect(rejected).toBeInstanceOf(ServerFnError);
    expect(rejected).toMatchObject({ type: "Request", message: "Canceled" });
  });

  it("follows a plain HTTP redirect in front of the app, rather than calling it a success", async () => {
    const seen: string[] = [];
    const call = stub<typeof moved>(meta(moved as never), { base: server.url + "/walled", onRedirect: (url) => seen.push(url) });
    await call({});
    expect(seen).toEqual([server.url + "/login"]);
  });

  it("calls a 200 that is not data an unexpected response", async () => {
    const call = stub<typeof moved>(meta(moved as never), { base: server.url + "/proxied" });
    await expect(call({})).rejects.toMatchObject({ message: "Unexpected response (status 200)" });
  });
});

describe("server actions", () => {
  it("createServerAction: value and version after the call", async () => {
    const action = createServerAction(stub<typeof fns.url>(meta(fns.url), { base: server.url }));
    const done = action.dispatch({ title: "Buy milk" });
    expect(action.pending.get()).toBe(true);
    await done;
    expect(action.value.get()).toMatchObject({ title: "Buy milk" });
    expect(action.version.get()).toBe(1);
  });

  it("createServerMultiAction: three submissions, each with its own result", async () => {
    const multi = createServerMultiAction(stub<typeof fns.json>(meta(fns.json), { base: server.url }));
    const subs = ["a", "b", "c"].map((title) => multi.dispatch({ title }));
    expect(multi.submissions.get()).toHaveLength(3);
    await Promise.all(subs.map((s) => s.done));
    expect(subs.map((s) => s.value.get()?.title)).toEqual(["a", "b", "c"]);
    expect(multi.version.get()).toBe(3);
  });
});
