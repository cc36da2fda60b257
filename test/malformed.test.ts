import { decode as cborDecode, encode as cborEncode } from "cbor-x";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ServerFnError } from "../protocol/errors.js";
import { DEFAULT_LIMITS, mergeLimits } from "../server/limits.js";
import { parseQuery } from "../server/codecs/qs-parse.js";
import { checkShape } from "../server/shape.js";
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
/** An object of `n` keys. */
const keys = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]));
/** `n` nested CBOR arrays around one integer: `[[[1]]]` for 3. */
const cborArrays = (n: number) => Buffer.concat([Buffer.alloc(n, 0x81), Buffer.from([0x01])]);
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
  { name: "prototype key", path: "/api/echo_url", type: FORM, body: "prototype=yes", status: 400, error: "Deserialization" },
  { name: "nested prototype key", path: "/api/echo_url", type: FORM, body: "a[prototype][polluted]=yes", status: 400, error: "Deserialization" },
  { name: "constructor key", path: "/api/echo_url", type: FORM, body: "constructor=yes", status: 400, error: "Deserialization" },
  { name: "prototype key in a query", path: "/api/echo_get_json", method: "GET", query: "a[prototype]=1", status: 400, error: "Deserialization" },
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
  { name: "JSON NUL character in a key", path: "/api/echo_json", type: JSON_T, body: '{"ti\\u0000tle": "x"}', status: 400, error: "Deserialization" },
  { name: "JSON NUL character in a nested key", path: "/api/echo_json", type: JSON_T, body: '{"a": [{"b\\u0000": 1}]}', status: 400, error: "Deserialization" },
  { name: "JSON NUL character in an array item", path: "/api/echo_json", type: JSON_T, body: '{"a": ["x", "\\u0000"]}', status: 400, error: "Deserialization" },
  { name: "JSON prototype key", path: "/api/echo_json", type: JSON_T, body: '{"a": {"prototype": {"polluted": "yes"}}}', status: 400, error: "Deserialization" },
  { name: "JSON 1001 keys", path: "/api/echo_json", type: JSON_T, body: JSON.stringify(keys(1001)), status: 413, error: "PayloadTooLarge", limit: "parameters" },
  { name: "JSON 1002 keys in two objects of 501", path: "/api/echo_json", type: JSON_T, body: JSON.stringify({ a: keys(500), b: keys(500) }), status: 413, error: "PayloadTooLarge", limit: "parameters" },
  { name: "JSON 7 nested arrays", path: "/api/echo_json", type: JSON_T, body: jsonDeep(7), status: 400, error: "Deserialization", limit: "depth" },
  { name: "JSON 101-item array at the top", path: "/api/echo_json", type: JSON_T, body: JSON.stringify(Array(101).fill(0)), status: 413, error: "PayloadTooLarge", limit: "arrayLength" },
  // cbor
  { name: "truncated CBOR", path: "/api/echo_cbor", type: CBOR, body: truncated, status: 400, error: "Deserialization" },
  { name: "garbage CBOR", path: "/api/echo_cbor", type: CBOR, body: Buffer.from([0xff, 0xff, 0xff, 0x00]), status: 400, error: "Deserialization" },
  { name: "CBOR __proto__ key", path: "/api/echo_cbor", type: CBOR, body: cborEncode(JSON.parse('{"__proto__": {"polluted": "yes"}}')), status: 400, error: "Deserialization" },
  { name: "CBOR 6-deep nesting", path: "/api/echo_cbor", type: CBOR, body: cborEncode(nested(7)), status: 400, error: "Deserialization", limit: "depth" },
  { name: "CBOR deeply nested arrays", path: "/api/echo_cbor", type: CBOR, body: Buffer.concat([Buffer.alloc(5_000, 0x81), Buffer.from([0x01])]), status: 400, error: "Deserialization" },
  { name: "JSON to a CBOR function", path: "/api/echo_cbor", type: JSON_T, body: "{}", status: 415, error: "UnsupportedMediaType" },
  { name: "CBOR NUL character in a key", path: "/api/echo_cbor", type: CBOR, body: cborEncode({ "ti\u0000tle": "x" }), status: 400, error: "Deserialization" },
  { name: "CBOR NUL character in a value", path: "/api/echo_cbor", type: CBOR, body: cborEncode({ title: "a\u0000b" }), status: 400, error: "Deserialization" },
  { name: "CBOR prototype key", path: "/api/echo_cbor", type: CBOR, body: cborEncode({ a: { prototype: { polluted: "yes" } } }), status: 400, error: "Deserialization" },
  { name: "CBOR constructor key", path: "/api/echo_cbor", type: CBOR, body: cborEncode({ constructor: 1 }), status: 400, error: "Deserialization" },
  { name: "CBOR 1001 keys", path: "/api/echo_cbor", type: CBOR, body: cborEncode(keys(1001)), status: 413, error: "PayloadTooLarge", limit: "parameters" },
  { name: "CBOR 1002 keys in two maps of 501", path: "/api/echo_cbor", type: CBOR, body: cborEncode({ a: keys(500), b: keys(500) }), status: 413, error: "PayloadTooLarge", limit: "parameters" },
  { name: "CBOR 7 nested arrays", path: "/api/echo_cbor", type: CBOR, body: cborArrays(7), status: 400, error: "Deserialization", limit: "depth" },
  { name: "CBOR 101-item array", path: "/api/echo_cbor", type: CBOR, body: cborEncode({ list: Array(101).fill(0) }), status: 413, error: "PayloadTooLarge", limit: "arrayLength" },
  { name: "an empty CBOR body", path: "/api/echo_cbor", type: CBOR, body: "", status: 400, error: "Deserialization" },
  // get-cbor: errors are CBOR envelopes too (checked below by content type)
  { name: "__proto__ in a get-cbor query", path: "/api/echo_get_cbor", method: "GET", query: "__proto__[x]=1", status: 400, error: "Deserialization" },
  { name: "6-deep nesting in a get-cbor query", path: "/api/echo_get_cbor", method: "GET", query: deep(7), status: 400, error: "Deserialization", limit: "depth" },
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
  { name: "prototype field in multipart", path: "/api/upload", ...multipart("b8", fieldPart("b8", "prototype", "yes") + "--b8--\r\n"), status: 400, error: "Deserialization" },
  { name: "nested prototype field in multipart", path: "/api/echo_multipart", ...multipart("b9", fieldPart("b9", "a[prototype][polluted]", "yes") + "--b9--\r\n"), status: 400, error: "Deserialization" },
  { name: "prototype file field in multipart", path: "/api/echo_multipart", ...multipart("b10", filePart("b10", "prototype", "a.txt", 3) + "--b10--\r\n"), status: 400, error: "Deserialization" },
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

describe("limits at their edge, JSON and CBOR alike", () => {
  const send = (type: string, body: string | Uint8Array) =>
    request(`${app.url}/api/${type === JSON_T ? "echo_json" : "echo_cbor"}`, { method: "POST", headers: { "content-type": type, "x-isoform": "1" }, body });
  const answer = (res: { headers: Record<string, unknown>; body: Buffer; text: string }) =>
    String(res.headers["content-type"]).includes("cbor") ? cborDecode(res.body) : JSON.parse(res.text);
  const encoders: [string, (v: unknown) => string | Uint8Array][] = [[JSON_T, (v) => JSON.stringify(v)], [CBOR, (v) => cborEncode(v)]];

  for (const [type, encode] of encoders) {
    const name = type === JSON_T ? "JSON" : "CBOR";

    it(`${name}: exactly limits.depth levels below the top (6 nested objects or arrays) is accepted, one more refused`, async () => {
      const objects = await send(type, encode(nested(6)));
      expect(objects.status).toBe(200);
      expect(answer(objects)).toEqual(nested(6));
      const arrays = await send(type, type === JSON_T ? jsonDeep(6) : cborArrays(6));
      expect(arrays.status).toBe(200);
      const deeper = await send(type, encode({ list: [nested(6)] }));
      expect(deeper.status).toBe(400);
      expect(answer(deeper).error).toMatchObject({ type: "Deserialization", limit: "depth" });
    });

    it(`${name}: exactly limits.parameters keys in all are accepted, one more refused`, async () => {
      const at = await send(type, encode({ a: keys(499), b: keys(499) }));
      expect(at.status).toBe(200);
      expect(Object.keys(answer(at).a)).toHaveLength(499);
      const over = await send(type, encode({ a: keys(499), b: keys(500) }));
      expect(over.status).toBe(413);
      expect(answer(over).error).toMatchObject({ type: "PayloadTooLarge", limit: "parameters" });
      expect(answer(over).error.message).toContain("1000");
    });

    it(`${name}: exactly limits.arrayLength items are accepted`, async () => {
      const res = await send(type, encode({ list: Array(100).fill(1) }));
      expect(res.status).toBe(200);
      expect(answer(res).list).toHaveLength(100);
    });

    it(`${name}: a NUL in a key is refused naming NUL, a key merely containing a prototype name is not`, async () => {
      const nul = await send(type, encode({ ["a\u0000"]: 1 }));
      expect(nul.status).toBe(400);
      expect(answer(nul).error.message).toMatch(/NUL/);
      const fine = { prototypes: 1, my_constructor: 2, __proto: 3, proto__: 4, Prototype: 5, "constructor ": 6 };
      const ok = await send(type, encode(fine));
      expect(ok.status).toBe(200);
      expect(answer(ok)).toEqual(fine);
    });

    for (const key of ["__proto__", "constructor", "prototype"]) {
      it(`${name}: a "${key}" key is refused naming it, at the top or nested in an array`, async () => {
        for (const value of [JSON.parse(`{"${key}": 1}`), { list: [JSON.parse(`{"${key}": {"x": 1}}`)] }]) {
          const res = await send(type, encode(value));
          expect(res.status).toBe(400);
          expect(answer(res).error.message).toContain(`The key "${key}" is not allowed`);
        }
      });
    }
  }

  it("CBOR keys are counted across maps as they are declared: 2 maps declaring 500 and 501 keys are refused before their keys are read", async () => {
    // {a: {500 keys}, b: map(501) with no keys}: refused for the declared count, not as truncated.
    const head = cborEncode({ a: keys(500) }); // b9 0001 (a map of 1, as cbor-x writes it), "a", its map
    expect(Buffer.from(head.subarray(0, 3)).toString("hex")).toBe("b90001");
    const body = Buffer.concat([Buffer.from([0xa2]), head.subarray(3), cborEncode("b"), Buffer.from([0xb9, 0x01, 0xf5])]);
    const res = await send(CBOR, body);
    expect(res.status).toBe(413);
    expect(cborDecode(res.body).error).toMatchObject({ limit: "parameters" });
  });
});

describe("CBOR functions answer errors in CBOR", () => {
  for (const [name, path, init] of [
    ["get-cbor, a refused query", "/api/echo_get_cbor?a[prototype]=1", {}],
    ["get-cbor, the wrong method", "/api/echo_get_cbor", { method: "POST", headers: { "content-type": FORM }, body: "a=1" }],
    ["cbor, a refused body", "/api/echo_cbor", { method: "POST", headers: { "content-type": CBOR }, body: cborEncode({ a: "\u0000" }) }],
    ["cbor, the wrong content type", "/api/echo_cbor", { method: "POST", headers: { "content-type": JSON_T }, body: "{}" }],
  ] as const) {
    it(`${name}: a CBOR envelope`, async () => {
      const res = await request(app.url + path, init as Parameters<typeof request>[1]);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.headers["content-type"]).toBe("application/cbor");
      const body = cborDecode(res.body) as { error: { type: string; message: string } };
      expect(body.error.type).toMatch(/^(Deserialization|MethodNotAllowed|UnsupportedMediaType)$/);
      expect(body.error.message.length).toBeGreaterThan(10);
    });
  }

  it("JSON and url functions answer errors in JSON", async () => {
    for (const path of ["/api/echo_get_json?a[prototype]=1", "/api/echo_url?x"]) {
      const res = await request(app.url + path, path.includes("get") ? {} : { method: "POST", headers: { "content-type": JSON_T }, body: "{}" });
      expect(res.headers["content-type"]).toBe("application/json; charset=utf-8");
      expect((res.json() as { error: { type: string } }).error.type).toMatch(/Deserialization|UnsupportedMediaType/);
    }
  });
});

describe("the shape check of decoded input (checkShape)", () => {
  const verdict = (value: unknown, limits = DEFAULT_LIMITS) => {
    try {
      checkShape(value, limits);
      return "ok";
    } catch (err) {
      const e = err as ServerFnError;
      return { type: e.type, limit: e.limit, message: e.message };
    }
  };

  it("accepts plain objects (also without a prototype), arrays, scalars, dates and byte arrays", () => {
    expect(verdict({ s: "x", n: 1, b: true, z: null, u: undefined, l: [1, [2]], o: { p: {} }, bare: Object.create(null) })).toBe("ok");
    expect(verdict({ when: new Date(0), bytes: new Uint8Array([1]), view: new DataView(new ArrayBuffer(1)) })).toBe("ok");
    expect(verdict("text")).toBe("ok");
    expect(verdict(null)).toBe("ok");
  });

  it("refuses objects of any other kind", () => {
    for (const v of [new Map(), new Set(), new (class Point {})(), Object.create({ inherited: 1 }), /re/]) {
      expect(verdict({ v })).toMatchObject({ type: "Deserialization", message: "Input contains an object of an unsupported kind; send plain objects, arrays and scalars" });
    }
  });

  it("names each limit in its message", () => {
    const limits = mergeLimits({ depth: 1, arrayLength: 2, parameters: 2 });
    expect(verdict({ a: { b: {} } }, limits)).toEqual({ type: "Deserialization", limit: "depth", message: "Input is nested deeper than 1 levels (limits.depth); flatten it, or raise limits.depth" });
    expect(verdict({ a: { b: 1 } }, limits)).toBe("ok");
    expect(verdict([1, 2, 3], limits)).toEqual({ type: "PayloadTooLarge", limit: "arrayLength", message: "An array exceeds the limit of 2 (limits.arrayLength); send less, or raise limits.arrayLength" });
    expect(verdict({ a: 1, b: { c: 1 } }, limits)).toEqual({ type: "PayloadTooLarge", limit: "parameters", message: "The number of parameters exceeds the limit of 2 (limits.parameters); send less, or raise limits.parameters" });
    expect(verdict({ a: 1, b: 2 }, limits)).toBe("ok");
    expect(verdict({ "a\u0000": 1 })).toMatchObject({ type: "Deserialization", message: "Input contains a NUL character (\\0); remove it" });
    expect(verdict([["a\u0000"]])).toMatchObject({ message: expect.stringContaining("NUL") });
    expect(verdict(JSON.parse('{"a":[{"__proto__":1}]}'))).toMatchObject({ message: 'The key "__proto__" is not allowed in input (it could reach an object\'s prototype); rename the field' });
  });
});

describe("url-encoded and query input", () => {
  const post = (body: string) => request(`${app.url}/api/echo_url`, { method: "POST", headers: { "content-type": FORM }, body });

  it("prototype names are refused as keys, never as values", async () => {
    const res = await post("a=__proto__&b=constructor&c=prototype&d=constructor%5Bprototype%5D&proto=1&constructors=2&my_prototype=3");
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ a: "__proto__", b: "constructor", c: "prototype", d: "constructor[prototype]", proto: "1", constructors: "2", my_prototype: "3" });
  });

  it("malformed percent-encoding is a 400 naming the key or value, its first 40 characters", async () => {
    const key = await post(`${"k".repeat(50)}%zz=1`);
    expect(key.status).toBe(400);
    expect((key.json() as { error: { message: string } }).error.message).toMatch(new RegExp(`^Malformed percent-encoding.* in key "${"k".repeat(40)}";`));
    const value = await post("title=50%");
    expect((value.json() as { error: { message: string } }).error.message).toMatch(/^Malformed percent-encoding.* in value "50%";/);
  });

  it("a malformed key that reads like a limit is still malformed, not over a limit", async () => {
    for (const body of ["my_array%zz=1", "depth%=1", "parameter%E0=1"]) {
      const res = await post(body);
      expect([body, res.status]).toEqual([body, 400]);
      expect((res.json() as { error: { type: string; limit?: string } }).error).toEqual(expect.objectContaining({ type: "Deserialization" }));
      expect((res.json() as { error: { limit?: string } }).error.limit).toBeUndefined();
    }
  });

  it("keys naming Object.prototype's methods are dropped, as qs does without allowPrototypes", async () => {
    const res = await post("toString=1&hasOwnProperty=2&valueOf=3&a=4");
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ a: "4" });
  });

  it("a body sent as raw UTF-8 (not percent-encoded) is read as UTF-8; bytes that are not UTF-8 are refused", async () => {
    const utf8 = await request(`${app.url}/api/echo_url`, { method: "POST", headers: { "content-type": FORM }, body: Buffer.from("title=café ✓&n=1", "utf8") });
    expect(utf8.json()).toEqual({ title: "café ✓", n: "1" });
    const latin1 = await request(`${app.url}/api/echo_url`, { method: "POST", headers: { "content-type": FORM }, body: Buffer.from("title=caf\xe9", "latin1") });
    expect(latin1.status).toBe(400);
    expect((latin1.json() as { error: { type: string; message: string } }).error).toEqual({ type: "Deserialization", message: "The body is not valid UTF-8; percent-encode the form data as UTF-8" });
  });

  it("+ is a space and %2B a plus, in keys and values", async () => {
    const res = await post("a+b=c+d&e%2Bf=g%2Bh");
    expect(res.json()).toEqual({ "a b": "c d", "e+f": "g+h" });
  });
});

describe("parseQuery with limits of its own", () => {
  // A fresh limits object per call: parseQuery builds (and caches) its qs options per limits
  // object, so each test here exercises the options it checks.
  const parse = (text: string, limits = {}) => {
    try {
      return parseQuery(text, mergeLimits(limits));
    } catch (err) {
      const e = err as ServerFnError;
      return { type: e.type, limit: e.limit };
    }
  };

  it("drops keys that would shadow Object.prototype's methods", () => {
    expect(parse("toString=1&hasOwnProperty=2&a=3")).toEqual({ a: "3" });
  });

  it("holds depth, parameters and array length to the limits given", () => {
    expect(parse("a[b][c]=1", { depth: 2 })).toEqual({ a: { b: { c: "1" } } });
    expect(parse("a[b][c][d]=1", { depth: 2 })).toEqual({ type: "Deserialization", limit: "depth" });
    expect(parse("a=1&b=2", { parameters: 2 })).toEqual({ a: "1", b: "2" });
    expect(parse("a=1&b=2&c=3", { parameters: 2 })).toEqual({ type: "PayloadTooLarge", limit: "parameters" });
    expect(parse("l[]=1&l[]=2", { arrayLength: 2 })).toEqual({ l: ["1", "2"] });
    expect(parse("l[]=1&l[]=2&l[]=3", { arrayLength: 2 })).toEqual({ type: "PayloadTooLarge", limit: "arrayLength" });
    expect(parse("")).toEqual({});
  });
});

describe("JSON bodies", () => {
  const post = (body: string | Uint8Array) => request(`${app.url}/api/echo_json`, { method: "POST", headers: { "content-type": JSON_T }, body });
  const message = async (body: string | Uint8Array) => ((await post(body)).json() as { error: { message: string } }).error.message;

  it("say why they are not JSON", async () => {
    expect(await message("")).toBe("The body is not valid JSON: the body is empty");
    expect(await message(Buffer.from([0x22, 0xff, 0x22]))).toBe("The body is not valid JSON: it is not UTF-8");
    expect(await message("{")).toMatch(/^The body is not valid JSON: .*JSON/);
  });

  it("a scalar or an array is valid JSON input", async () => {
    for (const v of ["1", '"s"', "null", "[1,2]"]) expect((await post(v)).json()).toEqual(JSON.parse(v));
  });
});
