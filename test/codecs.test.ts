import { decode as cborDecode, encode as cborEncode } from "cbor-x";
import qs from "qs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toFormData } from "../client/query.js";
import { CODECS as SERVER_CODECS } from "../server/codecs/all.js";
import { encodeJson } from "../server/codecs/codec.js";
import { startApp } from "./support/app.js";

/**
 * One conformance suite run against every codec: each sends a value the way its callers
 * do and the echo function must return it unchanged. Form-based encodings carry strings
 * only; JSON and CBOR also carry numbers, booleans and null.
 */
type Sender = (base: string, value: unknown) => Promise<unknown>;

async function answer(res: Response): Promise<unknown> {
  expect(res.status).toBe(200);
  const type = res.headers.get("content-type") ?? "";
  return type.includes("cbor") ? cborDecode(new Uint8Array(await res.arrayBuffer())) : res.json();
}

const CODECS: { encoding: string; path: string; strings: boolean; get: boolean; send: Sender }[] = [
  {
    encoding: "url", path: "/api/echo_url", strings: true, get: false,
    send: (url, v) => fetch(url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: qs.stringify(v) }).then(answer),
  },
  {
    encoding: "get-json", path: "/api/echo_get_json", strings: true, get: true,
    send: (url, v) => fetch(`${url}?${qs.stringify(v)}`).then(answer),
  },
  {
    encoding: "multipart", path: "/api/echo_multipart", strings: true, get: false,
    send: (url, v) => fetch(url, { method: "POST", body: toFormData(v) }).then(answer),
  },
  {
    encoding: "json", path: "/api/echo_json", strings: false, get: false,
    send: (url, v) => fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(v) }).then(answer),
  },
  {
    encoding: "cbor", path: "/api/echo_cbor", strings: false, get: false,
    send: (url, v) => fetch(url, { method: "POST", headers: { "content-type": "application/cbor", accept: "application/cbor" }, body: new Uint8Array(cborEncode(v)) }).then(answer),
  },
  {
    encoding: "get-cbor", path: "/api/echo_get_cbor", strings: true, get: true,
    send: (url, v) => fetch(`${url}?${qs.stringify(v)}`, { headers: { accept: "application/cbor" } }).then(answer),
  },
];

let app: Awaited<ReturnType<typeof startApp>>;
beforeAll(async () => (app = await startApp()));
afterAll(() => app.close());

const NESTED = { todo: { title: "Buy milk", tags: ["a", "b", "c"], owner: { name: "Ada", city: "London" } }, list: ["x", "y"] };
const UNICODE = { emoji: "🌍🚀👩🏽‍💻", rtl: "שלום עולם", combining: "e\u0301 n\u0303", cjk: "漢字かな", symbols: "&=?#+%[]" };
const EMPTY = { blank: "", list: ["", "x", ""], nested: { also: "" } };

for (const codec of CODECS) {
  describe(`codec ${codec.encoding}`, () => {
    const url = () => app.url + codec.path;

    it("round-trips nested objects and arrays", async () => {
      expect(await codec.send(url(), NESTED)).toEqual(NESTED);
    });

    it("round-trips unicode and reserved characters", async () => {
      expect(await codec.send(url(), UNICODE)).toEqual(UNICODE);
    });

    it("round-trips empty strings", async () => {
      expect(await codec.send(url(), EMPTY)).toEqual(EMPTY);
    });

    it("round-trips a large payload", async () => {
      // GET carries its input in the URL, which Node caps at 16 KB of headers; POST bodies
      // stay under the 1 MB default limit once percent-encoded.
      const size = codec.get ? 8_000 : 600_000;
      const big = { text: "lorem ipsum ".repeat(size / 12) + "ä€", items: Array.from({ length: 100 }, (_, i) => `item ${i}`) };
      expect(await codec.send(url(), big)).toEqual(big);
    });

    if (!codec.strings) {
      it("round-trips numbers, booleans and null", async () => {
        const typed = { n: 42, f: -1.5, yes: true, no: false, none: null, deep: { list: [1, "two", { three: 3 }] } };
        expect(await codec.send(url(), typed)).toEqual(typed);
      });
    }
  });
}

describe("content negotiation", () => {
  it("a CBOR function answers JSON to a caller that does not accept CBOR", async () => {
    const res = await fetch(app.url + "/api/echo_cbor", { method: "POST", headers: { "content-type": "application/cbor" }, body: new Uint8Array(cborEncode({ a: 1 })) });
    expect(res.headers.get("content-type")).toMatch(/cbor|json/);
    expect(await answer(res)).toEqual({ a: 1 });
  });

  it("JSON answers are JSON with a length", async () => {
    const res = await fetch(app.url + "/api/echo_json", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.headers.get("content-length")).toBe("2");
  });
});

describe("the codec table", () => {
  it("names each codec by its encoding, with the media types of docs/protocol.md §2", () => {
    const json = "application/json; charset=utf-8";
    expect(Object.fromEntries(Object.entries(SERVER_CODECS).map(([name, c]) => [name, [c.encoding, c.accepts, c.responseType]]))).toEqual({
      url: ["url", "application/x-www-form-urlencoded", json],
      "get-json": ["get-json", undefined, json],
      multipart: ["multipart", "multipart/form-data", json],
      json: ["json", "application/json", json],
      cbor: ["cbor", "application/cbor", "application/cbor"],
      "get-cbor": ["get-cbor", undefined, "application/cbor"],
    });
  });

  it("a function that returns nothing answers null, in JSON and in CBOR", async () => {
    expect(encodeJson(undefined)).toBe("null");
    expect(encodeJson({ a: 1 })).toBe('{"a":1}');
    for (const name of ["cbor", "get-cbor"] as const) {
      expect(Array.from(SERVER_CODECS[name].encode(undefined) as Uint8Array)).toEqual([0xf6]);
      expect(cborDecode(SERVER_CODECS[name].encode({ a: 1 }) as Uint8Array)).toEqual({ a: 1 });
    }
    expect(SERVER_CODECS["get-json"].encode(undefined)).toBe("null");
    expect(SERVER_CODECS.multipart.encode(undefined)).toBe("null");
    expect(SERVER_CODECS.url.encode(undefined)).toBe("null");
  });
});

describe("empty arrays named in _isoform_empty (url and query strings cannot write one)", () => {
  const post = (body: string) => fetch(app.url + "/api/echo_url", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body });
  const get = (query: string) => fetch(`${app.url}/api/echo_get_json?${query}`);
  const echo = async (res: Response) => [res.status, await res.json()];

  it("put [] at each named path, nested ones too, for POST and GET alike", async () => {
    expect(await echo(await post("_isoform_empty=tags"))).toEqual([200, { tags: [] }]);
    expect(await echo(await get("_isoform_empty=tags"))).toEqual([200, { tags: [] }]);
    expect(await echo(await post("_isoform_empty=a&_isoform_empty=b[c]&x=1"))).toEqual([200, { a: [], b: { c: [] }, x: "1" }]);
    expect(await echo(await post("a[d]=1&_isoform_empty=a[b][c]"))).toEqual([200, { a: { d: "1", b: { c: [] } } }]);
  });

  it("never replace what is there, nor reach through a value or a list", async () => {
    expect(await echo(await post("tags=x&_isoform_empty=tags"))).toEqual([200, { tags: "x" }]);
    expect(await echo(await post("tags[]=x&_isoform_empty=tags"))).toEqual([200, { tags: ["x"] }]);
    expect(await echo(await post("a=x&_isoform_empty=a[b]"))).toEqual([200, { a: "x" }]);
    expect(await echo(await post("a[]=1&_isoform_empty=a[b]"))).toEqual([200, { a: ["1"] }]);
    expect(await echo(await post("_isoform_empty=&_isoform_empty=[]&k=v"))).toEqual([200, { k: "v" }]);
  });

  it("are held to the depth limit and the prototype rule, and must be plain paths", async () => {
    expect(await echo(await post("_isoform_empty=a[b][c][d][e][f]"))).toEqual([200, { a: { b: { c: { d: { e: { f: [] } } } } } }]);
    const deep = await echo(await post("_isoform_empty=a[b][c][d][e][f][g]"));
    expect(deep).toEqual([400, { error: expect.objectContaining({ type: "Deserialization", limit: "depth" }) }]);
    for (const path of ["__proto__", "a[constructor]", "prototype[x]"]) {
      const res = await echo(await post(`_isoform_empty=${encodeURIComponent(path)}`));
      expect([path, res]).toEqual([path, [400, { error: expect.objectContaining({ type: "Deserialization", message: expect.stringContaining("is not allowed") }) }]]);
    }
    const named = await echo(await post("_isoform_empty[x]=tags"));
    expect(named).toEqual([400, { error: { type: "Deserialization", message: "_isoform_empty names a field path, like tags or address[tags]" } }]);
    expect(Object.prototype).not.toHaveProperty("x");
  });
});
