import type { IncomingMessage } from "node:http";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { NodeBody } from "../server/node-body.js";
import { TimeLimited } from "../server/time-limited.js";
import { bodyReader, slowWritable } from "./support/pipe-ends.js";

/**
 * NodeBody.read (server/node-body.ts): a whole body within a size and a time limit. The time
 * limits of all reads in progress are watched by one timer per limit, not a timer per read:
 * these tests pin that each read still times out at its own time, whatever the others do.
 */

/** A request whose body arrives when the test pushes it. */
function request(headers: Record<string, string> = {}): IncomingMessage & Readable {
  const req = new Readable({ read() {} }) as IncomingMessage & Readable;
  req.headers = headers;
  return req;
}

const settled = (p: Promise<unknown>) =>
  p.then(
    (body) => ({ body: Buffer.from(body as Uint8Array).toString() }),
    (err: { type?: string; limit?: string }) => ({ type: err.type, limit: err.limit }),
  );
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const TIMED_OUT = { type: "RequestTimeout", limit: "bodyTimeout" };

describe("NodeBody.read", () => {
  it("reads a body that arrives in pieces, and leaves nothing listening for its data", async () => {
    const req = request();
    const read = settled(new NodeBody(req).read(100, 1000));
    req.push("ab");
    await sleep(5);
    req.push("cd");
    req.push(null);
    expect(await read).toEqual({ body: "abcd" });
    expect(req.readableEnded).toBe(true);
  });

  it("a body over the limit, declared or not, is refused naming it; an error after a body ended is ignored", async () => {
    const declared = request({ "content-length": "101" });
    const refusal = (p: Promise<unknown>) => p.then(() => undefined, (err: Error) => err.message);
    expect(await refusal(new NodeBody(declared).read(100, 1000))).toBe("Request body exceeds the limit of 100 (limits.bodySize); send less, or raise limits.bodySize");
    const streamed = request();
    const over = refusal(new NodeBody(streamed).read(3, 1000));
    streamed.push("abcd");
    expect(await over).toBe("Request body exceeds the limit of 3 (limits.bodySize); send less, or raise limits.bodySize");

    const ended = request();
    const read = settled(new NodeBody(ended).read(100, 1000));
    ended.push("ok");
    ended.push(null);
    expect(await read).toEqual({ body: "ok" });
    // The connection breaks after the body: nothing is waiting for it, and nothing throws.
    expect(() => ended.emit("error", new Error("socket hang up"))).not.toThrow();
  });

  it("a body that stops arriving times out at its limit, and its listeners are removed", async () => {
    const req = request();
    const started = performance.now();
    const read = settled(new NodeBody(req).read(100, 60));
    req.push("a");
    expect(await read).toEqual(TIMED_OUT);
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
    expect([req.listenerCount("data"), req.listenerCount("end"), req.listenerCount("error")]).toEqual([0, 0, 0]);
  });

  it("reads that end early do not move the time limit of the reads still waiting", async () => {
    const waiting = request();
    const early = [request(), request(), request()];
    const started = performance.now();
    const late = settled(new NodeBody(waiting).read(100, 80));
    // Started after it and ended before its time: first, middle and last of the list.
    const done = early.map((req) => settled(new NodeBody(req).read(100, 80)));
    early[1]!.push(null);
    early[0]!.push(null);
    await sleep(20);
    early[2]!.push(null);
    expect(await Promise.all(done)).toEqual([{ body: "" }, { body: "" }, { body: "" }]);
    expect(await late).toEqual(TIMED_OUT);
    expect(performance.now() - started).toBeGreaterThanOrEqual(75);
  });

  it("a read started after the one the timer was set for, which ended, still times out at its own time", async () => {
    const first = request();
    const firstRead = settled(new NodeBody(first).read(100, 60));
    await sleep(10);
    first.push(null);
    expect(await firstRead).toEqual({ body: "" });
    await sleep(20);
    const second = request();
    const started = performance.now();
    // The timer, set for the first read, fires before this one is due: it must be set again.
    expect(await settled(new NodeBody(second).read(100, 60))).toEqual(TIMED_OUT);
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
  });

  it("reads with different limits time out each at its own", async () => {
    const short = request();
    const long = request();
    const longRead = settled(new NodeBody(long).read(100, 250));
    const shortRead = settled(new NodeBody(short).read(100, 40));
    expect(await shortRead).toEqual(TIMED_OUT);
    // The short one is gone; the long one is still read, and completes.
    long.push("late but in time");
    long.push(null);
    expect(await longRead).toEqual({ body: "late but in time" });
  });

  it("reads started one after another each time out, the timer set again for each", async () => {
    for (let i = 0; i < 3; i++) {
      const req = request();
      const started = performance.now();
      expect(await settled(new NodeBody(req).read(100, 30))).toEqual(TIMED_OUT);
      expect(performance.now() - started).toBeGreaterThanOrEqual(25);
    }
    // A read after them that completes is not touched by their timer.
    const req = request();
    const read = settled(new NodeBody(req).read(100, 30));
    req.push("ok");
    req.push(null);
    expect(await read).toEqual({ body: "ok" });
  });

  it("a read that times out among many waiting ones takes only itself", async () => {
    const reqs = Array.from({ length: 50 }, () => request());
    const reads = reqs.map((req, i) => settled(new NodeBody(req).read(100, i % 2 ? 40 : 400)));
    await sleep(100);
    // The even ones (400 ms) are still waiting: complete them now.
    reqs.forEach((req, i) => i % 2 || (req.push(`${i}`), req.push(null)));
    const results = await Promise.all(reads);
    expect(results).toEqual(reqs.map((_, i) => (i % 2 ? TIMED_OUT : { body: `${i}` })));
  });

  it("a body over the limit is refused at the byte that crosses it, the rest drained", async () => {
    const req = request();
    const read = settled(new NodeBody(req).read(4, 1000));
    req.push("abc");
    req.push("de");
    expect(await read).toEqual({ type: "PayloadTooLarge", limit: "bodySize" });
    expect(req.listenerCount("data")).toBe(0);
    req.push(null);
    await sleep(5);
    expect(req.readableEnded).toBe(true);
  });

  it("a declared length over the limit is refused before reading, and sets no time limit", async () => {
    const req = request({ "content-length": "10" });
    expect(await settled(new NodeBody(req).read(4, 20))).toEqual({ type: "PayloadTooLarge", limit: "bodySize" });
    expect(req.listenerCount("data")).toBe(0);
  });

  it("an error on the request fails the read, once", async () => {
    const req = request();
    const read = settled(new NodeBody(req).read(100, 50));
    req.destroy(new Error("socket hang up"));
    expect(await read).toEqual({ type: "Deserialization", limit: undefined });
    await sleep(80);
  });
});

describe("NodeBody.pipe", () => {
  it("writes every chunk in order after the codec saw it, pauses the request while the writable is full, and ends it with the body", async () => {
    const req = request();
    const { into, got, ended } = slowWritable(5);
    const seen: string[] = [];
    let paused = 0;
    req.on("pause", () => paused++);
    new NodeBody(req).pipe(into, bodyReader((c) => seen.push(Buffer.from(c).toString())));
    for (const c of ["a", "b", "c", "d"]) req.push(c);
    req.push(null);
    await new Promise((resolve) => into.on("finish", resolve));
    expect([seen, got, ended()]).toEqual([["a", "b", "c", "d"], ["a", "b", "c", "d"], true]);
    // The writable took one chunk at a time: the request was paused between them.
    expect(paused).toBeGreaterThan(0);
    expect(req.readableEnded).toBe(true);
  });

  it("a request paused before is read all the same", async () => {
    const req = request();
    req.pause();
    const { into, got } = slowWritable(0);
    new NodeBody(req).pipe(into, bodyReader());
    req.push("x");
    req.push(null);
    await new Promise((resolve) => into.on("finish", resolve));
    expect(got).toEqual(["x"]);
  });

  it("discarded from inside the codec's chunk listener: that chunk and the rest are not written, the request drains", async () => {
    const req = request();
    const { into, got, ended } = slowWritable(0);
    const body = new NodeBody(req);
    let chunks = 0;
    body.pipe(
      into,
      bodyReader(() => {
        if (++chunks === 2) body.discard();
      }),
    );
    req.push("a");
    req.push("b");
    req.push("c");
    req.push(null);
    await new Promise((resolve) => req.on("end", resolve));
    await sleep(5);
    expect([got, chunks, ended()]).toEqual([["a"], 2, false]);
    expect(req.listenerCount("data")).toBe(0);
  });

  it("discarded while the writable is full: the request drains, and the writable's drain does not resume anything twice", async () => {
    const req = request();
    const { into, got } = slowWritable(30);
    const body = new NodeBody(req);
    body.pipe(into, bodyReader());
    req.push("a");
    req.push("b");
    await sleep(5);
    expect(req.isPaused()).toBe(true);
    body.discard();
    req.push("c");
    req.push(null);
    await new Promise((resolve) => req.on("end", resolve));
    await sleep(40);
    expect(got).toEqual(["a"]);
  });

  it("an error on the request goes to the reader", async () => {
    const req = request();
    const { into } = slowWritable(0);
    const errors: string[] = [];
    new NodeBody(req).pipe(
      into,
      bodyReader(undefined, (err) => errors.push((err as Error).message)),
    );
    req.destroy(new Error("socket hang up"));
    await sleep(5);
    expect(errors).toEqual(["socket hang up"]);
  });

  it("a writable that is destroyed gets no more writes", async () => {
    const req = request();
    const { into, got } = slowWritable(0);
    into.on("error", () => {});
    new NodeBody(req).pipe(into, bodyReader());
    req.push("a");
    await sleep(5);
    into.destroy();
    req.push("b");
    req.push(null);
    await new Promise((resolve) => req.on("end", resolve));
    expect(got).toEqual(["a"]);
  });
});

describe("TimeLimited", () => {
  /** Work that records when it expired, relative to its start. */
  class Work extends TimeLimited {
    expired = -1;
    readonly started = performance.now();
    protected expire(): void {
      this.expired = performance.now() - this.started;
    }
  }

  it("work of another kind in the same list (the multipart codec's, beside body reads) expires at its own time, and stopped work never", async () => {
    const req = request();
    const read = settled(new NodeBody(req).read(100, 50));
    const a = new Work();
    a.startTimeLimit(50);
    const b = new Work();
    b.startTimeLimit(50);
    b.stopTimeLimit();
    const c = new Work();
    c.startTimeLimit(50);
    expect(await read).toEqual(TIMED_OUT);
    await sleep(20);
    expect([a.expired >= 45, b.expired, c.expired >= 45]).toEqual([true, -1, true]);
    // Stopping twice, or after it expired, is nothing.
    a.stopTimeLimit();
    b.stopTimeLimit();
  });
});
