import { connect } from "node:net";
import { encode } from "cbor-x";
import express from "express";
import { z } from "zod";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isoform, Registry, serverFn } from "../server/index.js";
import { PageHelpers } from "../server/helpers.js";
import { UploadedFile } from "../server/codecs/uploaded-file.js";
import { mergeLimits } from "../server/limits.js";
import { echoableInput } from "../server/outcome.js";
import { sameOriginPath } from "../server/redirect.js";
import { startApp, testRegistry } from "./support/app.js";
import { listen } from "./support/listen.js";
import { formPost, navigationHeaders, request } from "./support/request.js";

/**
 * Boundaries the topic suites leave open, each pinned because a one-character change to
 * the server once passed every other test (mutation testing): exact limits, which requests
 * count as htmx or navigation, sensitive names, escaping of the return field.
 */
let app: Awaited<ReturnType<typeof startApp>>;
beforeAll(async () => (app = await startApp()));
afterAll(() => app.close());
const cookiePayload = (res: { headers: Record<string, unknown> }) => {
  const c = ([] as string[]).concat((res.headers["set-cookie"] as string[]) ?? [])[0]!;
  const raw = decodeURIComponent(c.split(";")[0]!.split("=")[1]!);
  return JSON.parse(Buffer.from(raw.split(".")[0]!, "base64url").toString("utf8"));
};
/** A request written byte for byte on a socket, for what fetch and node:http will not send. */
const raw = (text: string) =>
  new Promise<string>((resolve, reject) => {
    const socket = connect(Number(new URL(app.url).port), "127.0.0.1", () => socket.write(text));
    let answer = "";
    socket.on("data", (c) => (answer += c));
    socket.on("end", () => resolve(answer));
    socket.on("error", reject);
  });

describe("boundaries", () => {
it("an Origin that merely starts with the own origin is refused", async () => {
  const res = await request(app.url + "/api/add_todo", { method: "POST", headers: { host: "app.example", origin: "http://app.example.evil.net", "content-type": "application/x-www-form-urlencoded", "x-isoform": "1" }, body: "title=hi" });
  expect(res.status).toBe(403);
});
it("a backslash in a return target is refused, not normalised", async () => {
  expect(sameOriginPath("/form\\done", "http://a.example")).toBeUndefined();
  const res = await formPost(app.url + "/api/add_todo", "title=hi&_isoform_return=" + encodeURIComponent("/form\\done"), navigationHeaders());
  expect(res.headers.location).toBe("/");
});
it("a field named api_token never reaches the cookie", async () => {
  const res = await formPost(app.url + "/api/add_todo", "title=%20&api_token=abc", navigationHeaders());
  expect(res.status).toBe(303);
  expect(cookiePayload(res).input).toEqual({ title: " " });
});
it("echoed input drops uploaded files", () => {
  expect(echoableInput({ caption: "x", doc: new UploadedFile("a.txt", "text/plain", 1, "/tmp/isoform-upload-x") }, [])).toEqual({ caption: "x" });
});
it("a failed multipart navigation does not put the file in the cookie", async () => {
  const registry = new Registry();
  serverFn({ name: "avatar", encoding: "multipart", registry, input: z.object({ caption: z.string().min(5) }).passthrough() }, async () => "ok");
  const a = express();
  a.use(isoform({ registry, secret: "s", log: () => {} }));
  a.get("/", (_q, r) => void r.send("home"));
  const srv = await listen(a);
  try {
    const form = new FormData();
    form.append("caption", "x");
    form.append("doc", new Blob(["hello"]), "a.txt");
    const res = await fetch(srv.url + "/api/avatar", { method: "POST", body: form, redirect: "manual", headers: { accept: "text/html", "sec-fetch-mode": "navigate", "sec-fetch-site": "same-origin" } });
    expect(res.status).toBe(303);
    const stored = cookiePayload({ headers: { "set-cookie": res.headers.getSetCookie() } });
    expect(stored.input).toEqual({ caption: "x" });
  } finally {
    await srv.close();
  }
});
it("value() of an indexed sensitive field is empty", () => {
  const { registry } = testRegistry();
  const h = new PageHelpers(registry, "/p", { fn: "add_todo", to: "/p", exp: Date.now() + 1000, ok: false, input: { password: ["hunter2"], secret_note: ["a", "b"] }, error: { type: "Validation", message: "x" } }, undefined);
  expect(h.value("add_todo", "password[0]")).toBe("");
  expect(h.value("add_todo", "secret_note[1]")).toBe("");
});
it("HEAD on a GET function is answered like GET", async () => {
  const res = await request(app.url + "/api/echo_get_json?x=1", { method: "HEAD" });
  expect(res.status).toBe(200);
});
it("the hidden return and key fields never reach the handler", async () => {
  const res = await formPost(app.url + "/api/echo_url", "a=1&_isoform_return=%2Fform&_isoform_key=7", { "x-isoform": "1" });
  expect(res.json()).toEqual({ a: "1" });
});
it("Accept preferring JSON is an API call, not a navigation", async () => {
  const res = await formPost(app.url + "/api/echo_url", "a=1", { accept: "application/json, text/html" });
  expect(res.status).toBe(200);
  expect(res.json()).toEqual({ a: "1" });
});
it("HX-Request: false is not htmx", async () => {
  const res = await request(app.url + "/api/list_view", { headers: { "hx-request": "false" } });
  expect(res.headers["content-type"]).toMatch(/json/);
  expect(res.json()).toEqual(["one", "two"]);
});
it("a limit of 0 is allowed", () => {
  expect(mergeLimits({ files: 0 }).files).toBe(0);
});
it("a body of exactly limits.bodySize bytes is accepted", async () => {
  const body = "a=" + "x".repeat(98);
  expect(body.length).toBe(100);
  const res = await formPost(app.url + "/api/tight", body, { "x-isoform": "1" });
  expect(res.status).toBe(200);
});
it("a chunked body one byte over the limit is refused", async () => {
  const body = "a=" + "x".repeat(99);
  const r = await raw(`POST /api/tight HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Isoform: 1\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`);
  expect(r).toMatch(/^HTTP\/1\.1 413/);
});
it("a CBOR Set is refused as an unsupported kind", async () => {
  const res = await request(app.url + "/api/echo_cbor", { method: "POST", headers: { "content-type": "application/cbor", "x-isoform": "1", accept: "application/json" }, body: encode({ s: new Set([1]) }) });
  expect(res.status).toBe(400);
});
it("a nested constructor key is refused", async () => {
  const res = await formPost(app.url + "/api/echo_url", "a[constructor][x]=1", { "x-isoform": "1" });
  expect(res.status).toBe(400);
  expect(res.text).toMatch(/constructor/);
});
it("a file bigger than bodySize but within fileSize is accepted", async () => {
  const form = new FormData();
  form.append("doc", new Blob(["x".repeat(5000)]), "a.bin");
  const res = await fetch(app.url + "/api/tight_upload", { method: "POST", body: form });
  expect(res.status).toBe(200);
});
it("the return URL is escaped in the hidden field", () => {
  const { registry } = testRegistry();
  const html = new PageHelpers(registry, '/p?q="><script>x</script>', undefined, undefined).form("add_todo");
  expect(html).toContain('value="/p?q=&quot;&gt;&lt;script&gt;x&lt;/script&gt;"');
});
it("a raw quote in the request URL comes back escaped", async () => {
  const r = await raw(`GET /form?q="><b>x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
  expect(r).toMatch(/^HTTP\/1\.1 200/);
  expect(r).not.toContain('"><b>x');
});
});
