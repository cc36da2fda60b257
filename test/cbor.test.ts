import { decode as cborDecode, encode as cborEncode } from "cbor-x";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ServerFnError } from "../protocol/errors.js";
import { MAX_BIGNUM_BYTES, scanCbor } from "../server/codecs/cbor-scan.js";
import { DEFAULT_LIMITS, mergeLimits, type Limits } from "../server/limits.js";
import { startApp } from "./support/app.js";
import { request } from "./support/request.js";

/**
 * The CBOR isoform accepts (docs/protocol.md §2, "CBOR"), byte by byte: the scan that checks
 * a body before cbor-x builds anything. Each case is hex, so the exact head, length and
 * boundary is visible; then a few of them over HTTP to a `cbor` function.
 */

/** Bytes from hex with spaces. */
const hex = (h: string) => Uint8Array.from(Buffer.from(h.replace(/\s+/g, ""), "hex"));
/** A text string item (major 3) of `s`, or of raw bytes. */
const text = (s: string | number[]) => {
  const bytes = typeof s === "string" ? Buffer.from(s, "utf8") : Buffer.from(s);
  return Buffer.concat([head(3, bytes.length), bytes]).toString("hex");
};
/** A head of major type `major` with argument `n`, in the shortest form. */
const head = (major: number, n: number) => {
  const m = major << 5;
  if (n < 24) return Buffer.from([m | n]);
  if (n < 0x100) return Buffer.from([m | 24, n]);
  if (n < 0x10000) return Buffer.from([m | 25, n >> 8, n & 0xff]);
  const b = Buffer.alloc(5);
  b[0] = m | 26;
  b.writeUInt32BE(n, 1);
  return b;
};
const h = (major: number, n: number) => head(major, n).toString("hex");

/** What the scan says of a body: "ok", or the refusal's type, limit and message. */
function scan(body: string | Uint8Array, limits: Limits = DEFAULT_LIMITS): "ok" | { type: string; limit?: string; message: string } {
  try {
    scanCbor(typeof body === "string" ? hex(body) : body, limits);
    return "ok";
  } catch (err) {
    if (!(err instanceof ServerFnError)) throw err;
    return { type: err.type, ...(err.limit ? { limit: err.limit } : {}), message: err.message };
  }
}
const refused = (message: RegExp | string, limit?: string) => ({ type: limit && limit !== "depth" ? "PayloadTooLarge" : "Deserialization", ...(limit ? { limit } : {}), message: typeof message === "string" ? expect.stringContaining(message) : expect.stringMatching(message) });

describe("the CBOR scan: items and heads", () => {
  const cases: [string, string, "ok" | ReturnType<typeof refused>][] = [
    ["a 2-byte argument that ends the body exactly", "190100", "ok"],
    ["an 8-byte argument that ends the body exactly", "1b0000000000000001", "ok"],
    ["a 2-byte argument cut short", "1901", refused("the body ends inside an item")],
    ["an 8-byte argument with one byte", "1b00", refused("the body ends inside an item")],
    ["an integer of indefinite length", "1f", refused("an integer cannot have indefinite length")],
    ["a negative integer of indefinite length", "3f", refused("an integer cannot have indefinite length")],
    ["reserved additional information 28", "1c", refused("reserved additional information 28")],
    ["reserved additional information 30", "9e", refused("reserved additional information 30")],
    ["trailing bytes after the first item", "0101", refused("trailing bytes after the first item")],
    ["an empty body", "", refused("the body ends inside an item")],
    ["an array that ends before its item", "81", refused("the body ends inside an item")],
    ["false, true, null, undefined", `84 f4 f5 f6 f7`, "ok"],
    ["half, single and double floats", "83 f93c00 fa3f800000 fb3ff0000000000000", "ok"],
    ["simple value 0", "e0", refused("simple value 0 is not supported")],
    ["simple value 19", "f3", refused("simple value 19 is not supported")],
    ["simple value 32 (one-byte form)", "f820", refused("simple value 32 is not supported")],
    ["a break outside an indefinite item", "ff", refused("an unexpected break")],
    ["a break inside a definite array", "81ff", refused("an unexpected break")],
  ];
  for (const [name, body, want] of cases) {
    it(`${name}: ${want === "ok" ? "accepted" : "refused"}`, () => {
      expect(scan(body)).toEqual(want);
    });
  }

  it("every integer argument size is read, not skipped", () => {
    for (const x of ["00", "17", "18ff", "19ffff", "1affffffff", "1b00000000000000ff", "20", "3bffffffffffffffff"]) {
      expect([x, scan(`82${x}00`)]).toEqual([x, "ok"]);
    }
  });
});

describe("the CBOR scan: strings", () => {
  const cases: [string, string, "ok" | ReturnType<typeof refused>][] = [
    ["a text string that ends the body exactly", text("ab"), "ok"],
    ["a text string longer than the body", "6261", refused("a string is longer than the body")],
    ["a byte string longer than the body", "4261", refused("a string is longer than the body")],
    ["a text string declaring 2^32 bytes", "7affffffff61", refused("a string is longer than the body")],
    ["UTF-8 text, ASCII DEL included", text("é 漢字 🌍 \u007f"), "ok"],
    ["a NUL in text", text("a\u0000"), refused("NUL")],
    ["a NUL after non-ASCII text", text("é\u0000"), refused("NUL")],
    ["a NUL at the start of text", text("\u0000é"), refused("NUL")],
    ["a lone continuation byte (0x80)", text([0x61, 0x80]), refused("a text string is not UTF-8")],
    ["an invalid sequence after valid non-ASCII", text([0xc3, 0xa9, 0xc3, 0x28]), refused("a text string is not UTF-8")],
    ["0xff in text", text([0xff]), refused("a text string is not UTF-8")],
    ["bytes that are not UTF-8 in a byte string", "42c328", "ok"],
    ["a NUL in a byte string", "420000", "ok"],
    ["an indefinite-length text string of definite chunks", `7f ${text("ab")} ${text("é")} ff`, "ok"],
    ["an indefinite-length byte string", "5f 4101 420203 ff", "ok"],
    ["an empty indefinite-length text string", "7fff", "ok"],
    ["a byte-string chunk in a text string", "7f 4161 ff", refused("a chunk of an indefinite-length string has the wrong type")],
    ["an indefinite chunk in a text string", "7f 7f ff ff", refused("a chunk of an indefinite-length string has the wrong type")],
    ["a chunk with a NUL", `7f ${text("a\u0000")} ff`, refused("NUL")],
    ["a chunk that is not UTF-8", `7f ${text([0x80])} ff`, refused("a text string is not UTF-8")],
    ["an indefinite-length string without its break", `7f ${text("a")}`, refused("the body ends inside an item")],
    ["a chunk with a long (1-byte) length", `7f ${text("x".repeat(30))} ff`, "ok"],
    ["prototype names as chunks of a value", `7f ${text("__proto__")} ${text("constructor")} ff`, "ok"],
  ];
  for (const [name, body, want] of cases) {
    it(`${name}: ${want === "ok" ? "accepted" : "refused"}`, () => {
      expect(scan(body)).toEqual(want);
    });
  }
});

describe("the CBOR scan: maps and keys", () => {
  const cases: [string, string, "ok" | ReturnType<typeof refused>][] = [
    ["a map with text keys", `a2 ${text("a")} 01 ${text("b")} 02`, "ok"],
    ["a key of 24 bytes and more (a 1-byte length)", `a2 ${text("k".repeat(24))} 01 ${text("l".repeat(300))} 02`, "ok"],
    ["an integer key", "a10101", refused("CBOR map keys must be text strings")],
    ["a byte-string key", "a1 4161 01", refused("CBOR map keys must be text strings")],
    ["a key of indefinite length", `a1 7f ${text("a")} ff 01`, refused("a map key of indefinite length")],
    ["an indefinite-length map", `bf ${text("a")} 01 ${text("b")} 9f 01 02 ff ff`, "ok"],
    ["an indefinite-length map without its break", `bf ${text("a")} 01`, refused("the body ends inside an item")],
    ["a key without its value", `a1 ${text("a")}`, refused("the body ends inside an item")],
    ["a __proto__ key", `a1 ${text("__proto__")} 01`, refused('The key "__proto__" is not allowed')],
    ["a prototype key", `a1 ${text("prototype")} 01`, refused('The key "prototype" is not allowed')],
    ["a constructor key, nested", `a1 ${text("a")} 81 a1 ${text("constructor")} 01`, refused('The key "constructor" is not allowed')],
    ["a NUL in a key", `a1 ${text("a\u0000")} 01`, refused("NUL")],
    ["a key that is not UTF-8", `a1 ${text([0xff])} 01`, refused("a text string is not UTF-8")],
    ["9- and 11-byte keys that are not prototype names", `a2 ${text("__proto_x")} 01 ${text("constructer")} 02`, "ok"],
    ["prototype names as values and dates, not keys", `a2 ${text("a")} 83 ${text("__proto__")} ${text("prototype")} ${text("constructor")} ${text("b")} c0 ${text("constructor")}`, "ok"],
  ];
  for (const [name, body, want] of cases) {
    it(`${name}: ${want === "ok" ? "accepted" : "refused"}`, () => {
      expect(scan(body)).toEqual(want);
    });
  }
});

describe("the CBOR scan: limits", () => {
  // Built in each test, not while the suite is collected: a limits module that throws then
  // fails these tests rather than the whole file (docs/mutation.md).
  const limits = () => mergeLimits({ depth: 2, arrayLength: 3, parameters: 4 });
  const cases: [string, string, "ok" | ReturnType<typeof refused>][] = [
    ["3 nested arrays (depth 2)", "81 81 81 01", "ok"],
    ["4 nested arrays", "81 81 81 81 01", refused("nested deeper than 2 levels", "depth")],
    ["3 nested maps", `a1 ${text("a")} a1 ${text("b")} a1 ${text("c")} 01`, "ok"],
    ["4 nested maps", `a1 ${text("a")} a1 ${text("b")} a1 ${text("c")} a1 ${text("d")} 01`, refused("nested deeper than 2 levels", "depth")],
    ["4 nested, an indefinite array innermost", "81 81 81 9f ff", refused("nested deeper than 2 levels", "depth")],
    ["3 nested indefinite arrays", "9f 9f 9f 01 ff ff ff", "ok"],
    ["4 nested indefinite arrays", "9f 9f 9f 9f 01 ff ff ff ff", refused("nested deeper than 2 levels", "depth")],
    ["4 nested indefinite maps", `bf ${text("a")} bf ${text("b")} bf ${text("c")} bf ${text("d")} 01 ff ff ff ff`, refused("nested deeper than 2 levels", "depth")],
    ["a tag does not add a level", "81 81 81 d9d9f7 01", "ok"],
    ["arrays of 3 items", "83 01 02 03", "ok"],
    ["an array of 4 items", "84 01 02 03 04", refused("An array exceeds the limit of 3", "arrayLength")],
    ["an array declaring 2^32 items and holding none", "9affffffff", refused("An array exceeds the limit of 3", "arrayLength")],
    ["an indefinite array of 3 items", "9f 01 02 03 ff", "ok"],
    ["an indefinite array of 4 items", "9f 01 02 03 04 ff", refused("An array exceeds the limit of 3", "arrayLength")],
    ["4 keys in all", `a2 ${text("a")} 01 ${text("b")} a2 ${text("c")} 01 ${text("d")} 02`, "ok"],
    ["5 keys in all, across maps", `a2 ${text("a")} 01 ${text("b")} a3 ${text("c")} 01 ${text("d")} 02 ${text("e")} 03`, refused("The number of parameters exceeds the limit of 4", "parameters")],
    ["a map declaring 5 keys and holding none", "a5", refused("The number of parameters exceeds the limit of 4", "parameters")],
    ["a map declaring 2^32 keys", "baffffffff", refused("The number of parameters exceeds the limit of 4", "parameters")],
    ["an indefinite map of 4 keys", `bf ${text("a")} 01 ${text("b")} 02 ${text("c")} 03 ${text("d")} 04 ff`, "ok"],
    ["an indefinite map of 5 keys", `bf ${text("a")} 01 ${text("b")} 02 ${text("c")} 03 ${text("d")} 04 ${text("e")} 05 ff`, refused("The number of parameters exceeds the limit of 4", "parameters")],
    // Cut off where a break could come, at the limit: the body is short, not over a limit.
    ["an indefinite array of 3 items, cut off before its break", "9f 01 02 03", refused("the body ends inside an item")],
    ["an indefinite map of 4 keys, cut off before its break", `bf ${text("a")} 01 ${text("b")} 02 ${text("c")} 03 ${text("d")} 04`, refused("the body ends inside an item")],
    ["a map of 3 keys after 1 already read", `a2 ${text("a")} 01 ${text("b")} a3 ${text("c")} 01 ${text("d")} 02 ${text("e")}`, refused("The number of parameters exceeds the limit of 4", "parameters")],
  ];
  for (const [name, body, want] of cases) {
    it(`${name}: ${want === "ok" ? "accepted" : "refused"}`, () => {
      expect(scan(body, limits())).toEqual(want);
    });
  }

  it("a long key is read like any other: only 9- and 11-byte keys are compared with prototype names", () => {
    // 2 MB (a raised bodySize): spread into String.fromCharCode it would overflow the stack.
    expect(scan(hex(`a1 ${text("k".repeat(200_000))} 01`))).toBe("ok");
    expect(scan(hex(`a1 ${text("k".repeat(2_000_000))} 01`))).toBe("ok");
  });

  it("with the default limits: 1000 keys and 100 items pass, one more does not", () => {
    const keys = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]));
    expect(scan(cborEncode(keys(1000)))).toBe("ok");
    expect(scan(cborEncode(keys(1001)))).toMatchObject({ limit: "parameters" });
    expect(scan(cborEncode(Array(100).fill(1)))).toBe("ok");
    expect(scan(cborEncode(Array(101).fill(1)))).toMatchObject({ limit: "arrayLength" });
  });
});

describe("the CBOR scan: tags", () => {
  const big = (n: number) => `${h(2, n)}${"01".repeat(n)}`;
  const cases: [string, string, "ok" | ReturnType<typeof refused>][] = [
    ["tag 0 with a date text", `c0 ${text("2013-03-21T20:04:00Z")}`, "ok"],
    ["tag 0 with an integer", "c0 01", refused("tag 0 holds an item of the wrong type")],
    ["tag 0 with an indefinite-length text", `c0 7f ${text("a")} ff`, refused("tag 0 holds an item of the wrong type")],
    ["tag 0 with a text that is not UTF-8", `c0 ${text([0xff])}`, refused("a text string is not UTF-8")],
    ["tag 1 with an unsigned integer", "c1 1a514b67b0", "ok"],
    ["tag 1 with a negative integer", "c1 20", "ok"],
    ["tag 1 with a half, single or double float", "83 c1f93c00 c1fa3f800000 c1fb3ff0000000000000", "ok"],
    ["tag 1 with a text", `c1 ${text("2013")}`, refused("tag 1 holds an item of the wrong type")],
    ["tag 1 with true", "c1 f5", refused("tag 1 holds an item of the wrong type")],
    ["tag 1 with null", "c1 f6", refused("tag 1 holds an item of the wrong type")],
    ["tag 1 with a byte string", "c1 4101", refused("tag 1 holds an item of the wrong type")],
    ["tag 1 with a byte string of a 2-byte length", "c1 59000100", refused("tag 1 holds an item of the wrong type")],
    ["tag 1 with a map of a 2-byte count", "c1 b90000", refused("tag 1 holds an item of the wrong type")],
    ["tag 1 with a break", "c1 ff", refused("tag 1 holds an item of the wrong type")],
    ["tag 2 with a byte string", `c2 ${big(9)}`, "ok"],
    ["tag 3 with a byte string", `c3 ${big(9)}`, "ok"],
    [`tag 2 with ${MAX_BIGNUM_BYTES} bytes`, `c2 ${big(MAX_BIGNUM_BYTES)}`, "ok"],
    [`tag 3 with ${MAX_BIGNUM_BYTES + 1} bytes`, `c3 ${big(MAX_BIGNUM_BYTES + 1)}`, refused(`a bignum of 65 bytes is longer than 64`)],
    ["tag 2 with a byte string longer than the body", "c2 4201", refused("a string is longer than the body")],
    ["tag 2 with a text", `c2 ${text("1")}`, refused("tag 2 holds an item of the wrong type")],
    ["tag 3 with an integer", "c3 01", refused("tag 3 holds an item of the wrong type")],
    ["tag 2 with an indefinite-length byte string", "c2 5f 4101 ff", refused("tag 2 holds an item of the wrong type")],
    ["tag 64 with a byte string", "d840 43010203", "ok"],
    ["tag 64 with a text", `d840 ${text("abc")}`, refused("tag 64 holds an item of the wrong type")],
    ["tag 64 with an indefinite-length byte string", "d840 5f 4101 ff", refused("tag 64 holds an item of the wrong type")],
    ["tag 64 with a byte string longer than the body", "d840 4301", refused("a string is longer than the body")],
    ["the self-describe tag before a map", `d9d9f7 a1 ${text("a")} 01`, "ok"],
    ["the self-describe tag before a refused item", "d9d9f7 1c", refused("reserved additional information 28")],
    ["tag 28 (shared reference)", "d81c 01", refused("tag 28 is not supported")],
    ["tag 4 (decimal fraction)", "c4 820101", refused("tag 4 is not supported")],
    ["tag 57343 (cbor-x record)", "d9dfff 01", refused("tag 57343 is not supported")],
    ["a tag with no item", "c0", refused("the body ends inside an item")],
    ["a tag whose item's argument is cut short", "c1 1a00", refused("the body ends inside an item")],
  ];
  for (const [name, body, want] of cases) {
    it(`${name}: ${want === "ok" ? "accepted" : "refused"}`, () => {
      expect(scan(body)).toEqual(want);
    });
  }
});

describe("CBOR over HTTP", () => {
  let app: Awaited<ReturnType<typeof startApp>>;
  beforeAll(async () => (app = await startApp()));
  afterAll(() => app.close());
  const post = (body: Uint8Array) =>
    request(app.url + "/api/echo_cbor", { method: "POST", headers: { "content-type": "application/cbor", "x-isoform": "1" }, body });

  it("what the scan accepts decodes to plain values: dates, bytes, bignums, indefinite-length maps and arrays", async () => {
    const body = hex(`bf ${text("d")} c1 1a514b67b0 ${text("b")} d840 43010203 ${text("n")} c2 49 010000000000000000 ${text("s")} ${text("abc")} ${text("l")} 9f 01 f5 f6 ff ff`);
    const res = await post(body);
    expect([res.status, res.status === 200 ? "" : JSON.stringify(cborDecode(res.body))]).toEqual([200, ""]);
    const value = cborDecode(res.body) as Record<string, unknown>;
    expect(value.d).toEqual(new Date(1363896240 * 1000));
    expect(Array.from(value.b as Uint8Array)).toEqual([1, 2, 3]);
    expect(value.n).toBe(2n ** 64n);
    expect(value.s).toBe("abc");
    expect(value.l).toEqual([1, true, null]);
  });

  it("an indefinite-length string passes the scan but not cbor-x: a 400 all the same", async () => {
    // docs/protocol.md §2 allows indefinite lengths for arrays and maps; cbor-x 1.6 refuses
    // them for strings, after the scan (which checks their chunks) let them through.
    const res = await post(hex(`a1 ${text("s")} 7f ${text("ab")} ${text("c")} ff`));
    expect(res.status).toBe(400);
    expect((cborDecode(res.body) as { error: { type: string; message: string } }).error).toMatchObject({ type: "Deserialization", message: expect.stringMatching(/^The body is not valid CBOR: /) });
  });

  it("an empty body is refused as such", async () => {
    const res = await post(new Uint8Array(0));
    expect(res.status).toBe(400);
    expect((cborDecode(res.body) as { error: { message: string } }).error.message).toBe("The body is empty; send one CBOR item");
  });

  it("what it refuses is a 400 CBOR envelope naming the reason, and the server goes on", async () => {
    const res = await post(hex("d81c 01"));
    expect(res.status).toBe(400);
    expect(res.headers["content-type"]).toBe("application/cbor");
    expect((cborDecode(res.body) as { error: { message: string } }).error.message).toMatch(/tag 28 is not supported/);
    expect((await post(cborEncode({ ok: true }))).status).toBe(200);
  });
});
