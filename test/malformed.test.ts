import { decode as cborDecode, encode as cborEncode } from "cbor-x";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp } from "./support/app.js";
import { request } from "./support/request.js";

/**
 * A corpus of hostile or broken requests. Each must get the right 4xx envelope; after the
 * whole corpus the server still answers, and Object.prototype (the server runs in this
 * process) is untouched.
 */
let app: Awaited<ReturnType<typeof startApp>>;
beforeAll(async () => (app = await startApp()));
afterAll(() => app.close());

const FORM = "application/x-www-form-urlencoded";
const JSON_T = "application/json";
const CBOR = "application/cbor";
const deep = (n: number) => "a" + "[b]".repeat(n - 1) + "=1";
const jsonDeep = (n: number) => "[".repeat(n) + "]".repeat(n);
const params = (n: number) => Array.from({ length: n }, (_, i) => `p${i}=1`).join("&");
const items = (n: number) => Array.from({ length: n }, (_, i) => `list[]=${i}`).join("&");
// Depth counts as qs counts brackets: `a[b][c][d][e][f]` (5) is the deepest allowed, which
// is 6 nested objects; `nested(7)` is the JSON/CBOR twin of 6 brackets.
const nested = (n: number): unknown => (n === 0 ? 1 : { a: nested(n - 1) });
const truncated = cborEncode({ title: "hello world", list: [1, 2, 3] }).subarray(0, 10);
const multipart = (boundary: string, parts: string) => ({ "content-type": `multipart/form-data; boundary=${boundary}`, body: parts });
const filePart = (b: string, name: string, filename: string, size: number) =>
  `--${b}\r\nContent-Disposition: form-data; name="${name}"; filename="${filename}"\r\nContent-Type: text/plain\r\n\r\n${"x".repeat(size)}\r\n`;
const fieldPart = (b: string, name: string, value: string) => `--${b}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;

type Case = { name: string; path: string; method?: string; type?: string; body?: string | Uint8Array; query?: string; status: number; error: string; limit?: string };

const CORPUS: Case[] = [
  // url
  { name: "bad percent-encoding", path: "/api/echo_url", type: FORM, body: "title=%E0%A4%A", status: 400, error: "Deserialization" },
  { name: "percent-encoding of invalid UTF-8", path: "/api/echo_url", type: FORM, body: "title=%C3%28", status: 400, error: "Deserialization" },
  { name: "a lone percent sign", path: "/api/echo_url", type: FORM, body: "title=100%", status: 400, error: "Deserialization" },
  { name: "6-deep nesting", path: "/api/echo_url", type: FORM, body: deep(7), status: 400, error: "Deserialization", limit: "depth" },
  { name: "1001 parameters", path: "/api/echo_url", type: FORM, body: params(1001), status: 413, error: "PayloadTooLarge", limit: "parameters" },
  { name: "101-item array", path: "/api/echo_url", type: FORM, body: items(101), status: 413, error: "PayloadTooLarge", limit: "arrayLength" },
  { name: "an array index past the limit", path: "/api/echo_url", type: FORM, body: "list[500]=x", status: 413, error: "PayloadTooLarge", limit: "arrayLength" },
  { name: "__proto__ key", path: "/api/echo_url", type: FORM, body: "__proto__[polluted]=yes", status: 400, error: "Deserialization" },
  { name: "nested __proto__ key", path: "/api/echo_url", type: FORM, body: "a[__proto__][polluted]=yes", status: 400, error: "Deserialization" },
  { name: "constructor[prototype] key", path: "/api/echo_url", type: FORM, body: "constructor[prototype][polluted]=yes", status: 400, error: "Deserialization" },
  { name: "encoded __proto__ key", path: "/api/echo_url", type: FORM, body: "%5F%5Fproto%5F%5F[polluted]=yes", status: 400, error: "Deserialization" },
  { name: "NUL byte in a value", path: "/api/echo_url", type: FORM, body: "title=a%00b", status: 400, error: "Deserialization" },
  { name: "NUL byte in a key", path: "/api/echo_url", type: FORM, body: "ti%00tle=a", status: 400, error: "Deserialization" },
  { name: "JSON sent to a url function", path: "/api/echo_url", type: JSON_T, body: '{"a":1}', status: 415, error: "UnsupportedMediaType" },
  { name: "no content type", path: "/api/echo_url", body: "title=x", status: 415, error: "UnsupportedMediaType" },
  { name: "text/plain", path: "/api/echo_url", type: "text/plain", body: "title=x", status: 415, error: "UnsupportedMediaType" },
  { name: "oversized body", path: "/api/echo_url", type: FORM, body: "a=" + "x".repeat(1_100_000), status: 413, error: "PayloadTooLarge", limit: "bodySize" },
  { name: "over a per-function body limit", path: "/api/tight", type: FORM, body: "a=" + "x".repeat(200), status: 413, error: "PayloadTooLarge", limit: "bodySize" },
  { name: "over a per-function depth limit", path: "/api/tight", type: FORM, body: "a[b][c][d]=1", status: 400, error: "Deserialization", limit: "depth" },
  // get-json
  { name: "bad percent-encoding in a query", path: "/api/echo_get_json", method: "GET", query: "q=%ZZ", status: 400, error: "Deserialization" },
  { name: "__proto__ in a query", path: "/api/echo_get_json", method: "GET", query: "__proto__[x]=1", status: 400, error: "Deserialization" },
  { name: "6-deep nesting in a query", path: "/api/echo_get_json", method: "GET", query: deep(7), status: 400, error: "Deserialization", limit: "depth" },
  // json
  { name: "JSON syntax error", path: "/api/echo_json", type: JSON_T, body: '{"title": "x",}', status: 400, error: "Deserialization" },
  { name: "truncated JSON", path: "/api/echo_json", type: JSON_T, body: '{"title": "x', status: 400, error: "Deserialization" },
  { name: "empty JSON body", path: "/api/echo_json", type: JSON_T, body: "", status: 400, error: "Deserialization" },
  { name: "JSON __proto__ key", path: "/api/echo_json", type: JSON_T, body: '{"__proto__": {"polluted": "yes"}}', status: 400, error: "Deserialization" },
  { name: "JSON constructor.prototype", path: "/api/echo_json", type: JSON_T, body: '{"constructor": {"prototype": {"polluted": "yes"}}}', status: 400, error: "Deserialization" },
  { name: "JSON 6-deep nesting", path: "/api/echo_json", type: JSON_T, body: JSON.stringify(nested(7)), status: 400, error: "Deserialization", limit: "depth" },
  { name: "JSON deeply nested arrays", path: "/api/echo_json", type: JSON_T, body: jsonDeep(10_000), status: 400, error: "Deserialization", limit: "depth" },
  { name: "JSON 101-item array", path: "/api/echo_json", type: JSON_T, body: JSON.stringify({ list: Array(101).fill(0) }), status: 413, error: "PayloadTooLarge", limit: "arrayLength" },
  { name: "JSON NUL character", path: "/api/echo_json", type: JSON_T, body: '{"title": "a\\u0000b"}', status: 400, error: "Deserialization" },
  { name: "JSON with invalid UTF-8", path: "/api/echo_json", type: JSON_T, body: Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]), status: 400, error: "Deserialization" },
  { name: "a form body to a JSON function", path: "/api/echo_json", type: FORM, body: "title=x", status: 415, error: "UnsupportedMediaType" },
  // cbor
  { name: "truncated CBOR", path: "/api/echo_cbor", type: CBOR, body: truncated, status: 400, error: "Deserialization" },
  { name: "garbage CBOR", path: "/api/echo_cbor", type: CBOR, body: Buffer.from([0xff, 0xff, 0xff, 0x00]), status: 400, error: "Deserialization" },
  { name: "CBOR __proto__ key", path: "/api/echo_cbor", type: CBOR, body: cborEncode(JSON.parse('{"__proto__": {"polluted": "yes"}}')), status: 400, error: "Deserialization" },
  { name: "CBOR 6-deep nesting", path: "/api/echo_cbor", type: CBOR, body: cborEncode(nested(7)), status: 400, error: "Deserialization", limit: "depth" },
  { name: "CBOR deeply nested arrays", path: "/api/echo_cbor", type: CBOR, body: Buffer.concat([Buffer.alloc(5_000, 0x81), Buffer.from([0x01])]), status: 400, error: "Deserialization" },
  { name: "JSON to a CBOR function", path: "/api/echo_cbor", type: JSON_T, body: "{}", status: 415, error: "UnsupportedMediaType" },
  // multipart
  { name: "a file over the size limit", path: "/api/upload", ...multipart("b1", filePart("b1", "f", "a.txt", 2000) + "--b1--\r\n"), status: 413, error: "PayloadTooLarge", limit: "fileSize" },
  { name: "too many files", path: "/api/upload", ...multipart("b2", filePart("b2", "f1", "a.txt", 1) + filePart("b2", "f2", "b.txt", 1) + filePart("b2", "f3", "c.txt", 1) + "--b2--\r\n"), status: 413, error: "PayloadTooLarge", limit: "files" },
  { name: "too many fields", path: "/api/upload", ...multipart("b3", Array.from({ length: 6 }, (_, i) => fieldPart("b3", `k${i}`, "v")).join("") + "--b3--\r\n"), status: 413, error: "PayloadTooLarge", limit: "fields" },
  { name: "a broken boundary", path: "/api/upload", ...multipart("b4", "--other\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n"), status: 400, error: "Deserialization" },
  { name: "multipart without a boundary", path: "/api/upload", type: "multipart/form-data", body: "x", status: 400, error: "Deserialization" },
  { name: "__proto__ field in multipart", path: "/api/upload", ...multipart("b5", fieldPart("b5", "__proto__[polluted]", "yes") + "--b5--\r\n"), status: 400, error: "Deserialization" },
  // Cut off inside a file: busboy errors on the file's own stream, which once went unheard
  // and took the process down.
  { name: "a body cut off inside a file", path: "/api/echo_multipart", ...multipart("b6", `--b6\r\nContent-Disposition: form-data; name="doc"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nhello`), status: 400, error: "Deserialization" },
  { name: "multipart fields over the body limit together", path: "/api/tight_upload", ...multipart("b7", Array.from({ length: 3 }, (_, i) => fieldPart("b7", `k${i}`, "x".repeat(60))).join("") + "--b7--\r\n"), status: 413, error: "PayloadTooLarge", limit: "bodySize" },
  { name: "a url body to a multipart function", path: "/api/upload", type: FORM, body: "a=1", status: 415, error: "UnsupportedMediaType" },
].map((c) => ("content-type" in c ? { ...c, type: (c as { "content-type": string })["content-type"] } : c)) as Case[];

describe("malformed requests", () => {
  it(`the corpus has at least 30 cases (${CORPUS.length})`, () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(30);
  });

  for (const c of CORPUS) {
    it(`${c.name} → ${c.status} ${c.error}`, async () => {
      const headers: Record<string, string> = {};
      if (c.type) headers["content-type"] = c.type;
      const res = await request(`${app.url}${c.path}${c.query ? "?" + c.query : ""}`, { method: c.method ?? "POST", headers, body: c.body });
      expect(res.status).toBe(c.status);
      // CBOR functions answer errors in CBOR too.
      const body = (String(res.headers["content-type"]).includes("cbor") ? cborDecode(res.body) : res.json()) as { error: { type: string; message: string; limit?: string } };
      expect(body.error.type).toBe(c.error);
      expect(body.error.message.length).toBeGreaterThan(10);
      expect(res.text).not.toMatch(/\n\s+at /); // no stack trace
      if (c.limit) expect(body.error.limit).toBe(c.limit);
    });
  }

  it("duplicate keys: the last JSON key wins, repeated form keys become a list", async () => {
    const json = await request(app.url + "/api/echo_json", { method: "POST", headers: { "content-type": JSON_T }, body: '{"a": 1, "a": 2}' });
    expect(json.json()).toEqual({ a: 2 });
    const form = await request(app.url + "/api/echo_url", { method: "POST", headers: { "content-type": FORM }, body: "a=1&a=2" });
    expect(form.json()).toEqual({ a: ["1", "2"] });
  });

  it("a missing body is empty input, not a crash", async () => {
    const res = await request(app.url + "/api/echo_url", { method: "POST", headers: { "content-type": FORM } });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({});
  });

  it("a chunked body without a length is still held to the size limit", async () => {
    const status = await new Promise<string>((resolve, reject) => {
      const { port } = new URL(app.url);
      const socket = connect(Number(port), "127.0.0.1", () => {
        socket.write(`POST /api/echo_url HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${FORM}\r\nTransfer-Encoding: chunked\r\n\r\n`);
        const chunk = "a=" + "x".repeat(64 * 1024);
        for (let i = 0; i < 20; i++) socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
        socket.write("0\r\n\r\n");
      });
      let data = "";
      socket.on("data", (d) => {
        data += d;
        if (data.includes("\r\n")) {
          resolve(data.split("\r\n")[0]);
          socket.destroy();
        }
      });
      socket.on("error", reject);
    });
    expect(status).toMatch(/^HTTP\/1\.1 413/);
  });

  it("the server is alive afterwards and Object.prototype is untouched", async () => {
    const res = await fetch(app.url + "/api/echo_json", { method: "POST", headers: { "content-type": JSON_T }, body: '{"ok": true}' });
    expect(await res.json()).toEqual({ ok: true });
    const probe = {} as Record<string, unknown>;
    expect(probe.polluted).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, "polluted")).toBe(false);
    expect(Object.keys(Object.prototype)).toEqual([]);
  });
});
