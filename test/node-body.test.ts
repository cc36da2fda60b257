import type { IncomingMessage } from "node:http";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { NodeBody } from "../server/node-body.js";

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
