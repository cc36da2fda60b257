import { Writable } from "node:stream";
import type { BodyReader } from "../../server/request-body.js";

/**
 * The two ends of a body's `pipe` (server/request-body.ts), for the tests of NodeBody and
 * WebBody: the Writable a body is piped into, and the codec's side that hears each chunk.
 */

/** A Writable that takes `delay` ms per chunk, its buffer one chunk: write returns false while it is busy. */
export function slowWritable(delay: number) {
  const got: string[] = [];
  let ended = false;
  const into = new Writable({
    highWaterMark: 1,
    write(chunk: Buffer, _enc, done) {
      got.push(chunk.toString());
      setTimeout(done, delay);
    },
    final(done) {
      ended = true;
      done();
    },
  });
  return { into, got, ended: () => ended };
}

/** The codec's side of the pipe: its two methods, each a no-op unless given. */
export function bodyReader(chunk: (c: Uint8Array) => void = () => {}, unreadable: (err: unknown) => void = () => {}): BodyReader {
  return { chunk, unreadable };
}
