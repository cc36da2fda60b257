import { decode as cborDecode, encode as cborEncode } from "cbor-x";
import { brotliCompressSync, deflateSync, gzipSync } from "node:zlib";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { createRequestHandler, isoform, Registry, serverFn, type Limits } from "../server/index.js";
import { ChildFixture, childStats, rawExchange, send, unhealthy, type Answer, type ChildMode, type ChildServer, type SendInit } from "./support/child-server.js";
import { navigationHeaders } from "./support/request.js";

/**
 * Hostile requests over real HTTP to a server in a CHILD PROCESS (test/support/child-server.ts),
 * each against the express middleware and the plain node:http handler (docs/protocol.md §4, §5: "no
 * input may crash the process or leak a stack trace"). Every test sends one hostile
 * request, checks the answer (status, error envelope, no stack trace or file path), then
 * checks that the child is still alive and answers a valid request within a second. A crash
 * or a hang is a failed test, never a dead or stuck test run: every request has a timeout,
 * and a child left dead or stuck is replaced before the next test.
 */

const ADAPTERS: readonly ChildMode[] = ["express", "node"];
const fixtures = new Map<ChildMode, ChildFixture>();
function fixture(mode: ChildMode): ChildFixture {
  let f = fixtures.get(mode);
  if (!f) fixtures.set(mode, (f = new ChildFixture(mode)));
  return f;
}
afterAll(async () => {
  await Promise.all([...fixtures.values()].map((f) => f.close()));
});

/** One describe block per adapter, each with a healthy child before every test. */
function eachAdapter(modes: readonly ChildMode[], body: (server: () => ChildServer) => void): void {
  for (const mode of modes) {
    describe(mode, () => {
      const f = fixture(mode);
      beforeEach(async () => {
        await f.ready();
      }, 40_000);
      body(() => f.server);
    });
  }
}

// ---------------------------------------------------------------------------------------
// Requests and checks
// ---------------------------------------------------------------------------------------

const FORM = "application/x-www-form-urlencoded";
const CBOR = "application/cbor";
const ENHANCED = { "x-isoform": "1" };

/** Sends a hostile request; a failure to answer says whether the child died or hangs. */
async function hostile(child: ChildServer, path: string, init: SendInit = {}): Promise<Answer> {
  try {
    return await send(child.url + path, { timeoutMs: 5000, ...init });
  } catch (err) {
    await new Promise((resolve) => setTimeout(resolve, 100)); // let an exit be noticed
    const state = child.alive() ? "the child is alive" : `the child DIED (${child.exitReason()}); stderr:\n${child.stderr().slice(-3000)}`;
    throw new Error(`${init.method ?? "GET"} ${path}: ${(err as Error).message}; ${state}`);
  }
}

const post = (child: ChildServer, path: string, type: string | undefined, body: string | Uint8Array, headers: Record<string, string> = {}) =>
  hostile(child, path, { method: "POST", headers: { ...(type ? { "content-type": type } : {}), ...headers }, body });

/** The child is alive and answers a valid url-encoded POST within a second. */
async function expectHealthy(child: ChildServer): Promise<void> {
  expect(await unhealthy(child, 1000), "the server after the hostile request").toBeUndefined();
}

/** Stack-trace lines, raw or inside a JSON string or an HTML page, and source paths. */
const LEAKS: readonly (readonly [string, RegExp])[] = [
  ["a stack-trace line", /(?:^|\n|\\n|<br>)(?:\s|&nbsp;)*at [^\s]+(?: \(|\s*$)|(?:^|\n|\\n|<br>)(?:\s|&nbsp;)*at (?:\/|file:|node:)/m],
  ["a file path /work/", /\/work\//],
  ["a file path .ts:", /\.ts:\d/],
  ["a file path .js:", /\.js:\d/],
  ["node internals", /node:internal|node_modules\//],
];

function expectNoLeak(res: Answer): void {
  const texts = [res.body.toString("utf8"), res.body.toString("latin1")];
  for (const [what, re] of LEAKS) expect(texts.some((t) => re.test(t)), `the body leaks ${what}: ${res.text.slice(0, 400)}`).toBe(false);
}

interface ErrorBody {
  type: string;
  message: string;
  limit?: string;
  issues?: unknown[];
}

/** The error envelope of an answer, decoded as its Content-Type says (JSON or CBOR). */
function envelope(res: Answer): ErrorBody {
  const type = String(res.headers["content-type"] ?? "");
  let decoded: unknown;
  if (type.includes("cbor")) decoded = cborDecode(res.body);
  else if (type.includes("json")) decoded = JSON.parse(res.text);
  else throw new Error(`expected a JSON or CBOR error envelope, got ${type || "no Content-Type"} (${res.status}): ${res.text.slice(0, 300)}`);
  const e = (decoded as { error?: ErrorBody } | null)?.error;
  if (!e || typeof e.type !== "string" || typeof e.message !== "string") throw new Error(`not an {error:{type,message}} envelope: ${res.text.slice(0, 300)}`);
  return e;
}

/** Status, envelope type (and limit), and no leak. */
function expectError(res: Answer, status: number, type: string, limit?: string): ErrorBody {
  expect(res.status, `answer: ${res.text.slice(0, 300)}`).toBe(status);
  const e = envelope(res);
  expect(e.type, `envelope: ${JSON.stringify(e)}`).toBe(type);
  expect(e.message.length).toBeGreaterThan(0);
  if (limit !== undefined) expect(e.limit, `envelope: ${JSON.stringify(e)}`).toBe(limit);
  expectNoLeak(res);
  return e;
}

function hex(s: string): Buffer {
  return Buffer.from(s.replace(/\s+/g, ""), "hex");
}

/** A CBOR head: major type and argument, in the shortest form. */
function cborHead(major: number, n: number): Buffer {
  const m = major << 5;
  if (n < 24) return Buffer.from([m | n]);
  if (n < 0x100) return Buffer.from([m | 24, n]);
  if (n < 0x10000) return Buffer.from([m | 25, n >> 8, n & 0xff]);
  const b = Buffer.alloc(5);
  b[0] = m | 26;
  b.writeUInt32BE(n, 1);
  return b;
}
const cborTag = (tag: number, content: Uint8Array) => Buffer.concat([cborHead(6, tag), content]);
/** `{"title": <value bytes>}` */
const titled = (value: Uint8Array) => Buffer.concat([hex("a1 65"), Buffer.from("title"), value]);

// ---------------------------------------------------------------------------------------
// 1. Multipart part headers
// ---------------------------------------------------------------------------------------

const B = "XhostileX";
const MULTIPART = `multipart/form-data; boundary=${B}`;
const crlf = (...lines: (string | Buffer)[]) => Buffer.concat(lines.map((l) => Buffer.concat([typeof l === "string" ? Buffer.from(l, "latin1") : l, Buffer.from("\r\n")])));
const field = (name: string, value: string) => crlf(`--${B}`, `Content-Disposition: form-data; name="${name}"`, "", Buffer.from(value, "utf8"));
const closing = Buffer.from(`--${B}--\r\n`);

describe("multipart part headers", () => {
  eachAdapter(ADAPTERS, (server) => {
    it("a field part with no name is 400 Deserialization", async () => {
      const body = Buffer.concat([field("title", "ok"), crlf(`--${B}`, "Content-Disposition: form-data", "", "nameless value"), closing]);
      expectError(await post(server(), "/api/echo_multipart", MULTIPART, body), 400, "Deserialization");
      await expectHealthy(server());
    });

    it("a text field in utf-16le holding a lone surrogate is 400 Deserialization, not a crash", async () => {
      const body = Buffer.concat([
        crlf(`--${B}`, 'Content-Disposition: form-data; name="title"', "Content-Type: text/plain; charset=utf-16le", "", Buffer.from([0x00, 0xd8])),
        closing,
      ]);
      expectError(await post(server(), "/api/echo_multipart", MULTIPART, body), 400, "Deserialization");
      await expectHealthy(server());
    });

    it("a lone surrogate in utf-16le next to ordinary fields, to the file-taking profile function: 400", async () => {
      const body = Buffer.concat([
        field("name", "Ada"),
        crlf(`--${B}`, 'Content-Disposition: form-data; name="bio"', "Content-Type: text/plain; charset=UTF-16LE", "", Buffer.from([0x61, 0x00, 0x00, 0xdc, 0x62, 0x00])),
        closing,
      ]);
      expectError(await post(server(), "/api/profile", MULTIPART, body), 400, "Deserialization");
      await expectHealthy(server());
    });

    it("a field value or a field name that is not UTF-8 is 400 Deserialization", async () => {
      const badValue = Buffer.concat([crlf(`--${B}`, 'Content-Disposition: form-data; name="title"', "", Buffer.from([0x6f, 0x6b, 0xff])), closing]);
      expectError(await post(server(), "/api/echo_multipart", MULTIPART, badValue), 400, "Deserialization");
      const badName = Buffer.concat([crlf(Buffer.concat([Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="ti`), Buffer.from([0xff]), Buffer.from('tle"')]), "", "hello"), closing]);
      expectError(await post(server(), "/api/echo_multipart", MULTIPART, badName), 400, "Deserialization");
      await expectHealthy(server());
    });

    it("a file part with no name is 400 Deserialization", async () => {
      const body = Buffer.concat([crlf(`--${B}`, 'Content-Disposition: form-data; filename="a.txt"', "Content-Type: text/plain", "", "hello"), closing]);
      expectError(await post(server(), "/api/upload", MULTIPART, body), 400, "Deserialization");
      await expectHealthy(server());
    });

    for (const disposition of ['form-data; filename="a.txt"', 'form-data; name=""; filename=""']) {
      it(`a file part "${disposition}" with the body cut off right after its headers: 400, not a crash`, async () => {
        // The part is refused for its name while busboy still holds its stream; the cut then errors that stream.
        const body = Buffer.concat([field("caption", "x"), Buffer.from(`--${B}\r\nContent-Disposition: ${disposition}\r\nContent-Type: application/octet-stream\r\n\r\n`)]);
        expectError(await post(server(), "/api/echo_multipart", MULTIPART, body), 400, "Deserialization");
        await new Promise((resolve) => setTimeout(resolve, 100)); // an unheard 'error' event ends the process on a later tick
        await expectHealthy(server());
      });
    }

    it("a body cut off in the middle of a file is 400", async () => {
      const head = crlf(`--${B}`, 'Content-Disposition: form-data; name="doc"; filename="a.txt"', "Content-Type: text/plain", "");
      const body = Buffer.concat([field("caption", "x"), head, Buffer.alloc(500, 0x61)]); // 500 of a file's bytes, then nothing
      expectError(await post(server(), "/api/upload", MULTIPART, body), 400, "Deserialization");
      await expectHealthy(server());
    });
  });
});

// ---------------------------------------------------------------------------------------
// 2. CBOR tags and declared lengths
// ---------------------------------------------------------------------------------------

/**
 * Shared references (tags 28/29) that a tree walk expands exponentially: `levels` arrays
 * of `width` items, each level's items all references to the level below, nested within
 * the default depth limit. ~1.3 KB of body is width^levels arrays once expanded.
 */
function sharedRefBomb(width = 80, levels = 5): Buffer {
  // Tag 28 ids are given in the order the tags are read: the outermost shared level first.
  const idOf = (level: number) => levels - 1 - level;
  const level = (k: number): Buffer => {
    if (k === 0) return cborTag(28, Buffer.concat([cborHead(4, width), Buffer.alloc(width, 0x01)]));
    const ref = cborTag(29, cborHead(0, idOf(k - 1)));
    return cborTag(28, Buffer.concat([cborHead(4, width), level(k - 1), ...Array.from({ length: width - 1 }, () => ref)]));
  };
  const topRef = cborTag(29, cborHead(0, idOf(levels - 1)));
  return Buffer.concat([cborHead(4, width), level(levels - 1), ...Array.from({ length: width - 1 }, () => topRef)]);
}

/**
 * `[L, ref to L]` pairs, each level L marked shareable (tag 28) and referenced (tag 29)
 * by the level above: 2^levels items once expanded, though the depth limit stops a walk early.
 */
function sharedRefChain(levels = 40): Buffer {
  // Ids go in reading order: the outermost level is 0, the innermost levels - 1.
  let inner = cborTag(28, hex("82 01 02"));
  for (let k = 1; k < levels; k++) {
    const innerId = levels - k; // the id of level k - 1
    inner = cborTag(28, Buffer.concat([hex("82"), inner, cborTag(29, cborHead(0, innerId))]));
  }
  return inner;
}

/** A bignum (tag 2) of `n` bytes. */
const bignum = (n: number, fill = 0xff, tag = 2) => cborTag(tag, Buffer.concat([cborHead(2, n), Buffer.alloc(n, fill)]));

/**
 * The tags isoform does not accept, each around content that tag normally carries. Not 64:
 * cbor-x on Node writes every Uint8Array as tag 64 around a byte string, so a client's
 * bytes arrive so (its round trip is tested below).
 */
const REFUSED_TAGS: readonly (readonly [number, Buffer])[] = [
  [4, hex("82 21 19 6ab3")], // decimal fraction [-2, 27315]
  [5, hex("82 20 03")], // bigfloat [-1, 3]
  [6, hex("00")], // cbor-x packed reference
  [21, hex("43 010203")], // expected base64url
  [24, Buffer.concat([cborHead(2, 2), hex("6161")])], // embedded CBOR
  [25, hex("00")], // stringref
  [27, Buffer.from(cborEncode(["Error", "boom", {}]))], // generic object (cbor-x makes an Error)
  [32, Buffer.from(cborEncode("http://example.com/"))], // URI
  [51, Buffer.concat([hex("84 81 6161 f6 f6 a1 65"), Buffer.from("title"), hex("61 74")])], // cbor-x packed table
  [105, Buffer.from(cborEncode([0xe000, ["title"], "t"]))], // cbor-x legacy record
  [256, Buffer.from(cborEncode(["a"]))], // stringref namespace
  [258, Buffer.from(cborEncode(["a", "b"]))], // set
  [259, hex("a1 6161 01")], // explicit map (cbor-x writes every Map so)
  [260, hex("44 7f000001")], // network address
  [40009, Buffer.from(cborEncode("x"))],
  [40010, Buffer.from(cborEncode("x"))],
  [57343, Buffer.concat([hex("83 19e000 81 65"), Buffer.from("title"), hex("61 74")])], // cbor-x record
];

describe("CBOR tags and declared lengths", () => {
  eachAdapter(ADAPTERS, (server) => {
    it("shared references that would expand exponentially (~1.3 KB): 400 Deserialization in under a second, memory flat", async () => {
      const body = sharedRefBomb();
      expect(body.length).toBeGreaterThan(1000);
      expect(body.length).toBeLessThan(1500);
      const res = await post(server(), "/api/echo_cbor", CBOR, body);
      expectError(res, 400, "Deserialization");
      expect(res.ms, "answered fast").toBeLessThan(1000);
      await expectHealthy(server());
      expect((await childStats(server())).rss, "child RSS after the body").toBeLessThan(400 * 1024 * 1024);
    });

    it("a chain of [ref, ref] levels (tags 28/29): 400 Deserialization, fast", async () => {
      const res = await post(server(), "/api/echo_cbor", CBOR, sharedRefChain(40));
      expectError(res, 400, "Deserialization");
      expect(res.ms).toBeLessThan(1000);
      await expectHealthy(server());
    });

    it("one harmless shared reference is still refused (tags 28/29 are not accepted at all)", async () => {
      const body = Buffer.concat([hex("82"), cborTag(28, titled(hex("61 74"))), cborTag(29, hex("00"))]);
      expectError(await post(server(), "/api/echo_cbor", CBOR, body), 400, "Deserialization");
      await expectHealthy(server());
    });

    it("a record (cbor-x tag 57343) is 400", async () => {
      const body = Buffer.concat([hex("d9dfff 83 19e000 81 65"), Buffer.from("title"), hex("61 74")]);
      expectError(await post(server(), "/api/echo_cbor", CBOR, body), 400, "Deserialization");
      await expectHealthy(server());
    });

    it("a record with a __proto__ key is 400 (not renamed and let through)", async () => {
      const body = Buffer.concat([
        hex("d9dfff 84 19e000"),
        Buffer.from(cborEncode(["__proto__", "title"])),
        Buffer.from(cborEncode(new Map([["polluted", "yes"]]))),
        Buffer.from(cborEncode("t")),
      ]);
      expectError(await post(server(), "/api/echo_cbor", CBOR, body), 400, "Deserialization");
      await expectHealthy(server());
      expect((await childStats(server())).prototypes.polluted).toEqual([]);
    });

    it("a 256 KB bignum is 400 Deserialization in under a second (under a raised bodySize)", async () => {
      const body = titled(bignum(256 * 1024, 0x01));
      const res = await post(server(), "/api/echo_cbor_big", CBOR, body);
      expectError(res, 400, "Deserialization");
      expect(res.ms, "answered fast").toBeLessThan(1000);
      await expectHealthy(server());
    });

    it("a 65-byte bignum is 400, a 64-byte one (positive or negative) round-trips", async () => {
      expectError(await post(server(), "/api/echo_cbor_big", CBOR, titled(bignum(65))), 400, "Deserialization");
      const big = (1n << 512n) - 1n;
      for (const [tag, want] of [
        [2, big],
        [3, -1n - big],
      ] as const) {
        const res = await post(server(), "/api/echo_cbor_big", CBOR, titled(bignum(64, 0xff, tag)));
        expect(res.status, `tag ${tag}: ${res.text.slice(0, 200)}`).toBe(200);
        expect(cborDecode(res.body)).toEqual({ title: want });
      }
      await expectHealthy(server());
    });

    for (const [tag, content] of REFUSED_TAGS) {
      it(`tag ${tag} is 400 Deserialization`, async () => {
        expectError(await post(server(), "/api/echo_cbor", CBOR, titled(cborTag(tag, content))), 400, "Deserialization");
        await expectHealthy(server());
      });
    }

    it("nesting over the depth limit is 400 Deserialization naming depth", async () => {
      const nested = (n: number): unknown => (n === 0 ? 1 : { a: nested(n - 1) });
      expectError(await post(server(), "/api/echo_cbor", CBOR, cborEncode(nested(7))), 400, "Deserialization", "depth");
      await expectHealthy(server());
    });

    it("an array declaring 1,000,000 items (and holding none) is 413 arrayLength, fast", async () => {
      const res = await post(server(), "/api/echo_cbor", CBOR, hex("9a 000f4240"));
      expectError(res, 413, "PayloadTooLarge", "arrayLength");
      expect(res.ms).toBeLessThan(1000);
      await expectHealthy(server());
    });

    it("a map declaring 1,000,000 keys (and holding none) is 413 parameters, fast", async () => {
      const res = await post(server(), "/api/echo_cbor", CBOR, hex("ba 000f4240"));
      expectError(res, 413, "PayloadTooLarge", "parameters");
      expect(res.ms).toBeLessThan(1000);
      await expectHealthy(server());
    });

    it("an indefinite-length array of 101 items is 413 arrayLength; a map of 1001 keys is 413 parameters", async () => {
      expectError(await post(server(), "/api/echo_cbor", CBOR, Buffer.concat([hex("9f"), Buffer.alloc(101, 0x01), hex("ff")])), 413, "PayloadTooLarge", "arrayLength");
      const wide = cborEncode(Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`k${i}`, i])));
      expectError(await post(server(), "/api/echo_cbor", CBOR, wide), 413, "PayloadTooLarge", "parameters");
      await expectHealthy(server());
    });

    it("dates (tags 0 and 1), a byte string, a Uint8Array (tag 64, as cbor-x sends one) and the self-describe prefix round-trip", async () => {
      const when = new Date(1_700_000_000_000);
      const cases: [string, Buffer, unknown][] = [
        ["tag 1", Buffer.from(cborEncode({ when })), { when }],
        ["tag 0", titled(cborTag(0, Buffer.from(cborEncode("2023-11-14T22:13:20.000Z")))), { title: when }],
        ["byte string", titled(hex("43 010203")), { title: new Uint8Array([1, 2, 3]) }],
        ["tag 64", Buffer.from(cborEncode({ title: new Uint8Array([4, 5]) })), { title: new Uint8Array([4, 5]) }],
        ["tag 55799", Buffer.concat([hex("d9d9f7"), Buffer.from(cborEncode({ title: "t" }))]), { title: "t" }],
      ];
      for (const [what, body, want] of cases) {
        const res = await post(server(), "/api/echo_cbor", CBOR, body);
        expect(res.status, `${what}: ${res.text.slice(0, 200)}`).toBe(200);
        const got = cborDecode(res.body) as Record<string, unknown>;
        const norm = (v: unknown) => JSON.parse(JSON.stringify(v, (_k, x) => (x instanceof Uint8Array || (x && x.type === "Buffer") ? [...(x.data ?? x)] : x)));
        expect(norm(got), what).toEqual(norm(want));
        if (want && typeof want === "object" && Object.values(want)[0] instanceof Date) expect(Object.values(got)[0], what).toBeInstanceOf(Date);
      }
      await expectHealthy(server());
    });
  });
});

// ---------------------------------------------------------------------------------------
// 3. Thrown values: nothing a handler, view or validator throws escapes the boundary
// ---------------------------------------------------------------------------------------

const INTERNAL = { error: { type: "ServerError", message: "Internal error" } };
const THROWERS = ["throw_getter", "throw_proxy", "throw_self", "throw_validator"] as const;

/** A navigation's answer: a 303 back, or an HTML page with 500, never express's default error page. */
function expectNavigationAnswer(res: Answer): void {
  expectNoLeak(res);
  if (res.status === 303) {
    const location = String(res.headers.location ?? "");
    expect(location.startsWith("/") && !location.startsWith("//"), `303 to ${location}`).toBe(true);
    return;
  }
  expect(res.status, `a navigation is answered 303 or an HTML 500 page: ${res.text.slice(0, 300)}`).toBe(500);
  expect(String(res.headers["content-type"])).toMatch(/^text\/html/);
  expect(res.text, "express's default error page").not.toMatch(/<pre>/);
  expect(res.text).not.toMatch(/Internal Server Error<\/pre>/);
}

function expectNoThrownDetails(res: Answer): void {
  for (const word of ["boom", "trap", "logger broke", "[object Object]"]) expect(res.text, `the answer shows "${word}"`).not.toContain(word);
}

describe("thrown values", () => {
  eachAdapter([...ADAPTERS, "express-throwing-log", "node-throwing-log"], (server) => {
    for (const name of THROWERS) {
      it(`${name}, enhanced caller: 500 {"type":"ServerError","message":"Internal error"}`, async () => {
        const res = await post(server(), `/api/${name}`, FORM, "title=x", ENHANCED);
        expect(res.status, res.text.slice(0, 300)).toBe(500);
        expect(String(res.headers["content-type"])).toMatch(/^application\/json/);
        expect(JSON.parse(res.text)).toEqual(INTERNAL);
        expectNoLeak(res);
        expectNoThrownDetails(res);
        await expectHealthy(server());
      });

      it(`${name}, navigation: 303 back or an HTML 500 page, no stack, no path`, async () => {
        const res = await post(server(), `/api/${name}`, FORM, "title=x&_isoform_return=%2Fform", navigationHeaders("same-origin"));
        expectNavigationAnswer(res);
        expectNoThrownDetails(res);
        await expectHealthy(server());
      });
    }

    for (const name of ["return_tojson_self", "return_proxy", "redirect_proxy"]) {
      it(`${name} (a result that cannot be written): 500 envelope for an enhanced caller, 303 or an HTML page for a navigation`, async () => {
        const res = await post(server(), `/api/${name}`, FORM, "title=x", ENHANCED);
        expect(res.status, res.text.slice(0, 300)).toBe(500);
        expect(JSON.parse(res.text)).toEqual(INTERNAL);
        expectNoThrownDetails(res);
        const nav = await post(server(), `/api/${name}`, FORM, "title=x&_isoform_return=%2Fform", navigationHeaders("same-origin"));
        expectNavigationAnswer(nav);
        expectNoThrownDetails(nav);
        await expectHealthy(server());
      });
    }

    it("a CBOR function returning a Proxy whose traps throw: 500 CBOR envelope", async () => {
      const res = await post(server(), "/api/return_proxy_cbor", CBOR, cborEncode({ title: "x" }));
      expect(res.status).toBe(500);
      expect(envelope(res)).toEqual(INTERNAL.error);
      await expectHealthy(server());
    });

    it("a view that throws a self-rethrowing object, htmx caller: 500 envelope", async () => {
      const res = await hostile(server(), "/api/throw_view", { headers: { "hx-request": "true", "hx-current-url": server().origin + "/form" } });
      expect(res.status, res.text.slice(0, 300)).toBe(500);
      expect(JSON.parse(res.text)).toEqual(INTERNAL);
      expectNoLeak(res);
      expectNoThrownDetails(res);
      await expectHealthy(server());
    });

    it("several throws in a row, all kinds of caller: the process stays up", async () => {
      for (let i = 0; i < 3; i++) {
        for (const name of THROWERS) {
          await post(server(), `/api/${name}`, FORM, "title=x", ENHANCED);
          await post(server(), `/api/${name}`, FORM, "title=x", navigationHeaders("same-origin"));
          await post(server(), `/api/${name}`, FORM, "title=x", { "hx-request": "true" });
        }
        await hostile(server(), "/api/throw_view", { headers: { "hx-request": "true" } });
      }
      await new Promise((resolve) => setTimeout(resolve, 200)); // an unhandled rejection ends the process on the next tick
      await expectHealthy(server());
    });
  });
});

// ---------------------------------------------------------------------------------------
// 4. Smaller holes: charsets, raw bytes, Content-Encoding, refused files, slow bodies
// ---------------------------------------------------------------------------------------

describe("charsets, raw bytes, content encodings, refused files, slow bodies", () => {
  eachAdapter(ADAPTERS, (server) => {
    for (const charset of ["utf-7", "iso-8859-1"]) {
      it(`a url-encoded body in charset=${charset} is 415 naming the charset`, async () => {
        const res = await post(server(), "/api/echo_url", `${FORM}; charset=${charset}`, "title=hi");
        const e = expectError(res, 415, "UnsupportedMediaType");
        expect(e.message.toLowerCase()).toContain(charset);
        await expectHealthy(server());
      });
    }

    it("a JSON body in charset=utf-16, a multipart body declaring charset=iso-8859-1: 415", async () => {
      expectError(await post(server(), "/api/echo_json", "application/json; charset=utf-16", Buffer.from('{"a":1}', "utf16le")), 415, "UnsupportedMediaType");
      expectError(await post(server(), "/api/echo_multipart", `${MULTIPART}; charset=iso-8859-1`, Buffer.concat([field("title", "x"), closing])), 415, "UnsupportedMediaType");
      await expectHealthy(server());
    });

    it("charset=UTF-8 (any case) is accepted", async () => {
      for (const ct of [`${FORM}; charset=UTF-8`, `${FORM};charset=utf-8`]) {
        const res = await post(server(), "/api/echo_url", ct, "title=hi");
        expect(res.status, `${ct}: ${res.text}`).toBe(200);
        expect(JSON.parse(res.text)).toEqual({ title: "hi" });
      }
      await expectHealthy(server());
    });

    it("raw invalid UTF-8 bytes in a url-encoded body are 400 Deserialization", async () => {
      const body = Buffer.concat([Buffer.from("title="), Buffer.from([0xff, 0xfe])]);
      expectError(await post(server(), "/api/echo_url", FORM, body), 400, "Deserialization");
      await expectHealthy(server());
    });

    it("raw invalid UTF-8 bytes in a JSON body are 400 Deserialization", async () => {
      const body = Buffer.concat([Buffer.from('{"title":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
      expectError(await post(server(), "/api/echo_json", "application/json", body), 400, "Deserialization");
      await expectHealthy(server());
    });

    const small = Buffer.from("title=hello");
    const bomb = gzipSync(Buffer.alloc(10 * 1024 * 1024));
    for (const [encoding, body] of [
      ["gzip", gzipSync(small)],
      ["gzip", bomb],
      ["deflate", deflateSync(small)],
      ["br", brotliCompressSync(small)],
    ] as const) {
      it(`Content-Encoding: ${encoding} (${body.length} bytes${body === bomb ? ", 10 MB of zeros" : ""}) is 415, fast`, async () => {
        const res = await post(server(), "/api/echo_url", FORM, body, { "content-encoding": encoding });
        expectError(res, 415, "UnsupportedMediaType");
        expect(res.ms).toBeLessThan(1000);
        await expectHealthy(server());
      });
    }

    it("Content-Encoding: gzip on a JSON, CBOR or multipart body is 415 too", async () => {
      expectError(await post(server(), "/api/echo_json", "application/json", gzipSync('{"title":"x"}'), { "content-encoding": "gzip" }), 415, "UnsupportedMediaType");
      expectError(await post(server(), "/api/echo_cbor", CBOR, gzipSync(cborEncode({ title: "x" })), { "content-encoding": "gzip" }), 415, "UnsupportedMediaType");
      expectError(await post(server(), "/api/echo_multipart", MULTIPART, gzipSync(Buffer.concat([field("title", "x"), closing])), { "content-encoding": "gzip" }), 415, "UnsupportedMediaType");
      await expectHealthy(server());
    });

    const profileForm = (fileFirst: boolean) => {
      const file = crlf(`--${B}`, 'Content-Disposition: form-data; name="avatar"; filename="big.png"', "Content-Type: image/png", "", Buffer.alloc(2000, 0x89));
      const parts = [
        field("_isoform_return", "/profile"),
        field("name", "Ada"),
        ...(fileFirst ? [file] : []),
        field("bio", "Mathematician & <first> programmer"),
        field("password", "hunter2-secret"),
        ...(fileFirst ? [] : [file]),
      ];
      return Buffer.concat([...parts, closing]);
    };

    for (const fileFirst of [false, true]) {
      it(`JS off, a file over fileSize ${fileFirst ? "before" : "after"} the text fields: 303 back, and the page gets the typed fields read before it (never the password) and the fileSize error`, async () => {
        const res = await post(server(), "/api/profile", MULTIPART, profileForm(fileFirst), navigationHeaders("same-origin"));
        expect(res.status, res.text.slice(0, 300)).toBe(303);
        expect(res.headers.location).toBe("/profile");
        const setCookie = ([] as string[]).concat(res.headers["set-cookie"] ?? []);
        const cookie = setCookie.map((c) => c.split(";")[0]!).find((c) => c.startsWith("isoform_outcome="));
        expect(cookie, `Set-Cookie: ${setCookie.join(" | ")}`).toBeDefined();
        const payload = Buffer.from(cookie!.slice("isoform_outcome=".length).split(".")[0]!, "base64url").toString("utf8");
        expect(payload, "the outcome cookie").not.toContain("hunter2");

        const page = await hostile(server(), "/profile", { headers: { cookie: cookie! } });
        expect(page.status).toBe(200);
        expect(page.text).toContain('name="name" value="Ada"');
        // Refused at the byte over fileSize: the fields sent before the file come back, those
        // after it were never read (a browser sends them in the form's order).
        if (fileFirst) expect(page.text).not.toContain("Mathematician");
        else expect(page.text).toContain(">Mathematician &amp; &lt;first> programmer</textarea>");
        expect(page.text).not.toContain("hunter2");
        expect(page.text).toContain('<p id="error-type">PayloadTooLarge</p>');
        expect(page.text).toContain('<p id="error-limit">fileSize</p>');
        await expectHealthy(server());
      });
    }

    it("the same refused file, enhanced caller: 413 fileSize", async () => {
      expectError(await post(server(), "/api/profile", MULTIPART, profileForm(true), ENHANCED), 413, "PayloadTooLarge", "fileSize");
      await expectHealthy(server());
    });

    const slowHead = (port: number, length: number, { path = "/api/slow_body", type = FORM, kind = "X-Isoform: 1\r\n" } = {}) =>
      `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: ${type}\r\n` +
      (length < 0 ? "Transfer-Encoding: chunked\r\n" : `Content-Length: ${length}\r\n`) +
      `${kind}\r\n`;
    const stalled = async (s: ChildServer, steps: Parameters<typeof rawExchange>[1]) =>
      rawExchange(s.port, steps, 4000).catch(async (err: Error) => {
        throw new Error(`${err.message}; ${s.alive() ? "the child is alive" : `the child DIED (${s.exitReason()})`}`);
      });

    it("a body that stops arriving (10 of 100 bytes) is 408 RequestTimeout naming bodyTimeout (500 ms) within ~1.5 s", async () => {
      const s = server();
      const res = await stalled(s, [slowHead(s.port, 100), "title=abcd"]);
      expect(res.status, res.text.slice(0, 300)).toBe(408);
      const e = JSON.parse(res.text).error as ErrorBody;
      expect(e).toMatchObject({ type: "RequestTimeout", limit: "bodyTimeout" });
      expect(typeof e.message).toBe("string");
      expect(res.ms).toBeLessThan(1500);
      expect(res.ms).toBeGreaterThanOrEqual(400);
      await expectHealthy(s);
    });

    for (const [what, path, type, first, cbor] of [
      ["JSON", "/api/slow_json", "application/json", '{"title":', false],
      ["CBOR", "/api/slow_cbor", CBOR, Buffer.from("a1", "hex"), true],
      ["multipart", "/api/slow_multipart", MULTIPART, `--${B}\r\nContent-Disposition: form-data; name="title"\r\n\r\nab`, false],
      ["chunked url-encoded", "/api/slow_body", FORM, "6\r\ntitle=\r\n", false],
      ["url-encoded, no byte of the body at all", "/api/slow_body", FORM, "", false],
    ] as const) {
      it(`a ${what} body that stops arriving is 408 bodyTimeout too`, async () => {
        const s = server();
        const res = await stalled(s, [slowHead(s.port, what.startsWith("chunked") ? -1 : 1000, { path, type }), first]);
        expect(res.status, res.text.slice(0, 300)).toBe(408);
        const e = (cbor ? cborDecode(res.body) : JSON.parse(res.text)).error as ErrorBody;
        expect(e).toMatchObject({ type: "RequestTimeout", limit: "bodyTimeout" });
        expect(res.ms).toBeLessThan(1500);
        await expectHealthy(s);
      });
    }

    it("a navigation whose body stops arriving is sent back to its page (303), not shown an envelope", async () => {
      const s = server();
      const nav = "Accept: text/html\r\nSec-Fetch-Mode: navigate\r\nSec-Fetch-Site: same-origin\r\nReferer: " + s.origin + "/form\r\n";
      const res = await stalled(s, [slowHead(s.port, 1000, { kind: nav }), "title=abcd"]);
      expect(res.status, res.text.slice(0, 300)).toBe(303);
      expect(res.headers.location).toBe("/form");
      await expectHealthy(s);
    });

    it("a body that arrives in pieces within bodyTimeout is answered 200", async () => {
      const s = server();
      const rest = "&x=" + "y".repeat(100 - 10 - 3);
      const res = await stalled(s, [slowHead(s.port, 100), "title=abcd", { pauseMs: 150 }, rest]);
      expect(res.status, res.text.slice(0, 300)).toBe(200);
      expect(JSON.parse(res.text)).toMatchObject({ title: "abcd" });
      await expectHealthy(s);
    });
  });
});

// ---------------------------------------------------------------------------------------
// Validators that answer with a Promise of another realm
// ---------------------------------------------------------------------------------------

describe("a validator answering with a Promise of another realm (a vm context, a library's own Promise)", () => {
  eachAdapter(ADAPTERS, (server) => {
    it("its refusal is a 422, and the handler does not run", async () => {
      const res = await post(server(), "/api/validated_other_realm", FORM, "title=", ENHANCED);
      expect(res.status, `answer: ${res.text}`).toBe(422);
      expect(envelope(res)).toMatchObject({ type: "Validation", issues: [{ path: ["title"], message: "Title is required" }] });
      await expectHealthy(server());
    });

    it("its success hands the handler the validated value", async () => {
      const res = await post(server(), "/api/validated_other_realm", FORM, "title=ok", ENHANCED);
      expect(res.status, `answer: ${res.text}`).toBe(200);
      expect(JSON.parse(res.text)).toEqual({ handlerGot: { title: "ok" } });
    });
  });
});

// ---------------------------------------------------------------------------------------
// 5. Limits are checked where they are given (in process, no HTTP)
// ---------------------------------------------------------------------------------------

describe("limits options are checked when given", () => {
  /** Limits as an app might build them from the environment: not always what the type says. */
  type LooseLimits = Partial<Limits> & Record<string, number>;
  const BAD: readonly [string, LooseLimits][] = [
    ["bodySize", { bodySize: NaN }],
    ["depth", { depth: 1.5 }],
    ["parameters", { parameters: Infinity }],
    ["bodyTimeout", { bodyTimeout: -1 }],
    ["arrayLength", { arrayLength: -5 }],
    ["bodySise", { bodySise: 100 }],
  ];

  for (const [name, limits] of BAD) {
    it(`isoform({ limits: ${JSON.stringify(limits).replace("null", String(Object.values(limits)[0]))} }) throws a TypeError naming ${name}`, () => {
      expect(() => isoform({ registry: new Registry(), secret: "x", limits })).toThrow(TypeError);
      expect(() => isoform({ registry: new Registry(), secret: "x", limits })).toThrow(name);
    });

    it(`createRequestHandler with limits.${name} wrong throws a TypeError naming it`, () => {
      expect(() => createRequestHandler({ registry: new Registry(), secret: "x", limits })).toThrow(TypeError);
      expect(() => createRequestHandler({ registry: new Registry(), secret: "x", limits })).toThrow(name);
    });

    it(`serverFn({ limits }) with ${name} wrong throws a TypeError naming it, at definition`, () => {
      const registry = new Registry();
      expect(() => serverFn({ name: "bad_limits", limits, registry }, async () => "never")).toThrow(TypeError);
      expect(() => serverFn({ name: "bad_limits_2", limits, registry }, async () => "never")).toThrow(name);
    });
  }

  it("valid limits, bodyTimeout included, are accepted", () => {
    const limits: LooseLimits = { bodySize: 10, depth: 0, parameters: 1, arrayLength: 0, fileSize: 1, files: 0, fields: 1, bodyTimeout: 1000 };
    expect(() => isoform({ registry: new Registry(), secret: "x", limits })).not.toThrow();
    expect(() => createRequestHandler({ registry: new Registry(), secret: "x", limits })).not.toThrow();
    expect(() => serverFn({ name: "good_limits", limits, registry: new Registry() }, async () => "ok")).not.toThrow();
  });
});
