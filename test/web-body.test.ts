import { describe, expect, it } from "vitest";
import { WebBody } from "../server/web-body.js";
import { bodyReader, slowWritable } from "./support/pipe-ends.js";

/**
 * WebBody (server/web-body.ts): a web Request's body as the fetch adapter reads it (Hono,
 * Bun, Deno). test/limits.test.ts holds the adapters to `bodyTimeout` over HTTP; these pin
 * each path in the test's own process: a declared length (read whole by the runtime), a
 * stream read chunk by chunk, and the multipart codec's pipe.
 */

/** A body the test feeds: `push` a chunk, `end`, `fail`; nothing arrives until it does. */
function feed() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let canceled = false;
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
    cancel() {
      canceled = true;
    },
  });
  return {
    stream,
    push: (text: string) => controller.enqueue(new TextEncoder().encode(text)),
    end: () => controller.close(),
    fail: (err: Error) => controller.error(err),
    canceled: () => canceled,
  };
}

function post(body: ReadableStream<Uint8Array> | string | null, headers: Record<string, string> = {}): Request {
  return new Request("http://127.0.0.1/api/x", { method: "POST", body, headers, duplex: "half" } as RequestInit);
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const refusal = (p: Promise<unknown>) =>
  p.then(
    () => "read",
    (err: { type?: string; limit?: string; message?: string }) => ({ type: err.type, limit: err.limit, message: err.message }),
  );
const OVER_5 = "Request body exceeds the limit of 5 (limits.bodySize); send less, or raise limits.bodySize";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("WebBody", () => {
  it("reports whether the body was read, and a declared length only when it is a plain number", async () => {
    const request = post("a=1", { "content-length": "3" });
    const body = new WebBody(request);
    expect([body.used, body.declaredLength]).toEqual([false, 3]);
    expect(text(await body.read(10, 1000))).toBe("a=1");
    expect(body.used).toBe(true);
    expect(new WebBody(post(feed().stream)).declaredLength).toBeUndefined();
    const odd = new Request("http://127.0.0.1/", { method: "POST", body: "x", headers: { "content-length": "1e3" } });
    expect(new WebBody(odd).declaredLength).toBeUndefined();
  });

  it("a declared length over the limit is refused before a byte is read", async () => {
    const request = post("abcdef", { "content-length": "6" });
    expect(await refusal(new WebBody(request).read(5, 1000))).toEqual({ type: "PayloadTooLarge", limit: "bodySize", message: OVER_5 });
    expect(request.bodyUsed).toBe(false);
  });

  it("a stream is read chunk by chunk up to the limit: the byte past it cancels the stream", async () => {
    const ok = feed();
    const read = new WebBody(post(ok.stream)).read(6, 1000);
    ok.push("abc");
    ok.push("def");
    ok.end();
    expect(text(await read)).toBe("abcdef");

    const over = feed();
    const refused = refusal(new WebBody(post(over.stream)).read(5, 1000));
    over.push("abc");
    over.push("def");
    expect(await refused).toEqual({ type: "PayloadTooLarge", limit: "bodySize", message: OVER_5 });
    await sleep(0);
    expect(over.canceled()).toBe(true);
  });

  it("one chunk is the body itself; several are joined in order", async () => {
    const one = feed();
    const read = new WebBody(post(one.stream)).read(100, 1000);
    one.push("only");
    one.end();
    expect(text(await read)).toBe("only");
    const none = feed();
    const empty = new WebBody(post(none.stream)).read(100, 1000);
    none.end();
    expect((await empty).byteLength).toBe(0);
    expect((await new WebBody(post(null)).read(100, 1000)).byteLength).toBe(0);
  });

  it("a stream that stops arriving is refused at its time limit and canceled; a declared length too", async () => {
    const stalled = feed();
    const started = performance.now();
    const refused = refusal(new WebBody(post(stalled.stream)).read(100, 150));
    stalled.push("title=");
    expect(await refused).toMatchObject({ type: "RequestTimeout", limit: "bodyTimeout" });
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    expect(stalled.canceled()).toBe(true);

    const declared = feed();
    const started2 = performance.now();
    const refused2 = refusal(new WebBody(post(declared.stream, { "content-length": "100" })).read(100, 150));
    declared.push("title=");
    expect(await refused2).toMatchObject({ type: "RequestTimeout", limit: "bodyTimeout" });
    expect(performance.now() - started2).toBeGreaterThanOrEqual(140);
  });

  it("a body read within its time is not refused later, and each read has its own time", async () => {
    const reads = [0, 60, 120].map(async (delay) => {
      const slow = feed();
      const read = refusal(new WebBody(post(slow.stream)).read(100, 200));
      await sleep(delay);
      slow.push("x");
      slow.end();
      return read;
    });
    expect(await Promise.all(reads)).toEqual(["read", "read", "read"]);
    const late = feed();
    const refused = refusal(new WebBody(post(late.stream)).read(100, 100));
    late.push("x");
    expect(await refused).toMatchObject({ type: "RequestTimeout" });
    expect(late.canceled()).toBe(true);
  });

  it("a stream that fails is refused as unreadable, naming the reason", async () => {
    const broken = feed();
    const refused = refusal(new WebBody(post(broken.stream)).read(100, 1000));
    broken.fail(new Error("socket hang up"));
    expect(await refused).toMatchObject({ type: "Deserialization", message: expect.stringContaining("socket hang up") });
    // With a declared length, the runtime reads it whole: its failure is refused the same way.
    const declared = feed();
    const refused2 = refusal(new WebBody(post(declared.stream, { "content-length": "10" })).read(100, 1000));
    declared.push("abc");
    declared.fail(new Error("connection reset"));
    expect(await refused2).toMatchObject({ type: "Deserialization", message: expect.stringContaining("The request body could not be read") });
  });
});

describe("WebBody.pipe", () => {
  it("each chunk to the reader, then to the writable in order, which is ended with the body", async () => {
    const body = feed();
    const { into, got, ended } = slowWritable(2);
    const seen: string[] = [];
    new WebBody(post(body.stream)).pipe(
      into,
      bodyReader((c) => seen.push(text(c))),
    );
    for (const c of ["a", "b", "c"]) body.push(c);
    body.end();
    await new Promise((resolve) => into.on("finish", resolve));
    expect([seen, got, ended()]).toEqual([["a", "b", "c"], ["a", "b", "c"], true]);
  });

  it("no body: the writable is ended at once", async () => {
    const { into, ended } = slowWritable(2);
    new WebBody(post(null)).pipe(into, bodyReader());
    await new Promise((resolve) => into.on("finish", resolve));
    expect(ended()).toBe(true);
  });

  it("a failed stream goes to the reader; a destroyed writable gets no more; discard cancels the stream", async () => {
    const broken = feed();
    const errors: string[] = [];
    new WebBody(post(broken.stream)).pipe(
      slowWritable(2).into,
      bodyReader(undefined, (err) => errors.push((err as Error).message)),
    );
    broken.fail(new Error("reset"));
    await sleep(5);
    expect(errors).toEqual(["reset"]);

    const body = feed();
    const { into, got } = slowWritable(2);
    into.on("error", () => {});
    const web = new WebBody(post(body.stream));
    web.pipe(into, bodyReader());
    body.push("a");
    await sleep(10);
    into.destroy();
    body.push("b");
    await sleep(10);
    expect(got).toEqual(["a"]);
    web.discard();
    await sleep(5);
    expect(body.canceled()).toBe(true);
  });
});
