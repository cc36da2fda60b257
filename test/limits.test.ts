import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRequestHandler, isoform, Registry, serverFn } from "../server/index.js";
import { checkLimits, DEFAULT_LIMITS, mergeLimits, type Limits } from "../server/limits.js";
import { startApp } from "./support/app.js";
import { rawExchange } from "./support/child-server.js";
import { formPost } from "./support/request.js";

/**
 * The limits options (docs/protocol.md §5): their defaults, how the layers merge, and that a
 * value that would silently remove a limit (`NaN` from `Number()` of an unset variable, a
 * fraction, `Infinity`, a negative, a misspelt name) stops the app where it is given, in the
 * test process itself (test/hostile-input.test.ts checks the same against servers it spawns).
 */

/** Limits as an app might build them from the environment: not always what the type says. */
type LooseLimits = Record<string, unknown>;

const BAD: readonly [string, LooseLimits, RegExp][] = [
  ["bodySize", { bodySize: NaN }, /got NaN/],
  ["bodySize", { bodySize: 1.5 }, /got 1\.5/],
  ["bodySize", { bodySize: Infinity }, /got Infinity/],
  ["bodySize", { bodySize: -1 }, /got -1/],
  ["depth", { depth: 2 ** 53 }, /got 9007199254740992/],
  ["parameters", { parameters: "1000" }, /got "1000"/],
  ["arrayLength", { arrayLength: null }, /got null/],
  ["fileSize", { fileSize: -0.5 }, /got -0\.5/],
  ["bodySise", { bodySise: 100 }, /unknown limit "bodySise".*known limits: bodySize, depth, parameters, arrayLength, fileSize, files, fields, bodyTimeout/],
  ["toString", { toString: 1 }, /unknown limit "toString"/],
];

describe("limits given wrong stop the app at start-up", () => {
  for (const [name, limits, detail] of BAD) {
    const shown = `${name}: ${String(limits[name] as unknown)}`;

    it(`isoform({ limits: { ${shown} } }) throws a TypeError naming ${name}`, () => {
      const make = () => isoform({ registry: new Registry(), secret: "x", limits: limits as Partial<Limits> });
      expect(make).toThrow(TypeError);
      expect(make).toThrow(`"${name}" in isoform({ limits })`);
      expect(make).toThrow(detail);
    });

    it(`createRequestHandler({ limits: { ${shown} } }) throws a TypeError naming ${name}`, () => {
      const make = () => createRequestHandler({ registry: new Registry(), secret: "x", limits: limits as Partial<Limits> });
      expect(make).toThrow(TypeError);
      expect(make).toThrow(`"${name}"`);
    });

    it(`serverFn({ limits: { ${shown} } }) throws a TypeError naming ${name} and the function, at definition`, () => {
      const registry = new Registry();
      const make = () => serverFn({ name: "bad_limits", limits: limits as Partial<Limits>, registry }, async () => "never");
      expect(make).toThrow(TypeError);
      expect(make).toThrow(`"${name}" in server function "bad_limits"`);
      expect(make).toThrow(detail);
      expect(registry.get("bad_limits")).toBeUndefined();
    });

    it(`mergeLimits refuses { ${shown} } too`, () => {
      expect(() => mergeLimits(limits as Partial<Limits>)).toThrow(TypeError);
      expect(() => mergeLimits(limits as Partial<Limits>)).toThrow(`"${name}" in options`);
    });
  }

  it("the message of a refused number says how to fix it", () => {
    expect(() => checkLimits({ bodySize: NaN }, "here")).toThrow(
      'isoform: limit "bodySize" in here must be a whole number ≥ 0, got NaN; check the value (Number() of an unset variable is NaN)',
    );
  });

  it("limits that are not an object are refused, naming where they were given", () => {
    for (const limits of [null, 5, "bodySize=1"]) {
      expect(() => checkLimits(limits as never, "isoform({ limits })")).toThrow("isoform: isoform({ limits }) limits must be an object like { bodySize: 1048576 }");
      expect(() => isoform({ registry: new Registry(), secret: "x", limits: limits as never })).toThrow(TypeError);
    }
  });

  it("no limits, an empty object, 0, the largest safe integer and undefined values are accepted", () => {
    expect(() => checkLimits(undefined, "x")).not.toThrow();
    expect(() => checkLimits({}, "x")).not.toThrow();
    expect(() => checkLimits({ bodySize: 0, depth: Number.MAX_SAFE_INTEGER, parameters: undefined }, "x")).not.toThrow();
    expect(() => serverFn({ name: "fine", limits: { files: 0, bodySize: undefined }, registry: new Registry() }, async () => "ok")).not.toThrow();
  });
});

describe("limits merge in layers", () => {
  it("the defaults are those of the README", () => {
    expect(DEFAULT_LIMITS).toEqual({
      bodySize: 1_048_576,
      depth: 5,
      parameters: 1000,
      arrayLength: 100,
      fileSize: 10_485_760,
      files: 10,
      fields: 1000,
      bodyTimeout: 30_000,
    });
    expect(Object.isFrozen(DEFAULT_LIMITS)).toBe(true);
    expect(mergeLimits()).toEqual(DEFAULT_LIMITS);
  });

  it("later layers win, an undefined value keeps the one below, and the defaults are never changed", () => {
    const merged = mergeLimits(undefined, { bodySize: 10, depth: 2 }, { depth: 3, files: undefined }, undefined);
    expect(merged).toEqual({ ...DEFAULT_LIMITS, bodySize: 10, depth: 3 });
    expect(merged).not.toBe(DEFAULT_LIMITS);
    expect(DEFAULT_LIMITS.bodySize).toBe(1_048_576);
  });
});

describe("limits over HTTP", () => {
  let app: Awaited<ReturnType<typeof startApp>>;
  beforeAll(async () => {
    app = await startApp({ limits: { parameters: 3 } });
    serverFn({ name: "roomy", registry: app.registry, limits: { parameters: 4 } }, async (i) => i);
  });
  afterAll(() => app.close());

  it("a global limit holds for every function, and a function's own limit overrides it", async () => {
    const four = "a=1&b=2&c=3&d=4";
    const global = await formPost(app.url + "/api/echo_url", four, { "x-isoform": "1" });
    expect(global.status).toBe(413);
    expect(global.json()).toMatchObject({ error: { type: "PayloadTooLarge", limit: "parameters" } });
    expect((await formPost(app.url + "/api/echo_url", "a=1&b=2&c=3", { "x-isoform": "1" })).status).toBe(200);
    const own = await formPost(app.url + "/api/roomy", four, { "x-isoform": "1" });
    expect(own.status).toBe(200);
    expect(own.json()).toEqual({ a: "1", b: "2", c: "3", d: "4" });
    expect((await formPost(app.url + "/api/roomy", four + "&e=5", { "x-isoform": "1" })).status).toBe(413);
  });
});

describe("bodyTimeout over HTTP", () => {
  // Each adapter reads bodies its own way: node:http requests (NodeBody) and web streams
  // (WebBody: read whole by the runtime when a length is declared, chunk by chunk when not).
  let app: Awaited<ReturnType<typeof startApp>>;
  beforeAll(async () => {
    app = await startApp();
    for (const encoding of ["url", "json"] as const) serverFn({ name: `timed_${encoding}`, encoding, registry: app.registry, limits: { bodyTimeout: 400 } }, async (i) => i);
  });
  afterAll(() => app.close());

  const head = (path: string, type: string, length: number | "chunked") =>
    `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${type}\r\nX-Isoform: 1\r\n` +
    (length === "chunked" ? "Transfer-Encoding: chunked\r\n" : `Content-Length: ${length}\r\n`) +
    "\r\n";
  const port = () => Number(new URL(app.url).port);

  for (const [what, path, type, length, first] of [
    ["url-encoded, length declared", "/api/timed_url", "application/x-www-form-urlencoded", 100, "title=abcd"],
    ["url-encoded, chunked", "/api/timed_url", "application/x-www-form-urlencoded", "chunked", "a\r\ntitle=abcd\r\n"],
    ["JSON, length declared", "/api/timed_json", "application/json", 100, '{"title":'],
    ["JSON, chunked", "/api/timed_json", "application/json", "chunked", '9\r\n{"title":\r\n'],
  ] as const) {
    it(`${what}: a body that stops arriving is 408 naming bodyTimeout after ~400 ms`, async () => {
      const res = await rawExchange(port(), [head(path, type, length), first], 4000);
      expect(res.status, res.text.slice(0, 300)).toBe(408);
      expect(JSON.parse(res.text)).toMatchObject({ error: { type: "RequestTimeout", limit: "bodyTimeout" } });
      expect(res.ms).toBeGreaterThanOrEqual(350);
      expect(res.ms).toBeLessThan(2000);
    });
  }

  it("a body that arrives in pieces within bodyTimeout is read; later bodies each get their own time", async () => {
    for (let i = 0; i < 3; i++) {
      const res = await rawExchange(port(), [head("/api/timed_url", "application/x-www-form-urlencoded", 12), "title=", { pauseMs: 150 }, "abcdef"], 4000);
      expect(res.status, res.text.slice(0, 300)).toBe(200);
      expect(JSON.parse(res.text)).toEqual({ title: "abcdef" });
    }
  });
});

