import type { Writable } from "node:stream";
import { ServerFnError } from "../protocol/errors.js";

/**
 * A request's body as the codecs read it, whatever server received it: a node:http
 * request (`NodeBody`) or a web `ReadableStream` (`WebBody`). Every read is bounded in
 * size and time.
 */
export interface RequestBody {
  /** true when something else read it already (a body parser mounted before isoform) */
  readonly used: boolean;
  /** The whole body; refuses more than `max` bytes (413), or a body not complete within `timeoutMs` (408). */
  read(max: number, timeoutMs: number): Promise<Uint8Array>;
  /** Streams the body into `into` (busboy), telling `reader` of each chunk as it arrives, and of a failed read. */
  pipe(into: Writable, reader: BodyReader): void;
  /** Stops reading what `pipe` started: node drains the rest, so the client reads the answer; a web stream is canceled. */
  discard(): void;
}

/**
 * Who reads a piped body (the multipart codec): an object with methods rather than two
 * callbacks, so a request makes no closures for them (bench/README.md, "Decode throughput").
 */
export interface BodyReader {
  /** each chunk, before `into` gets it; may `discard` the body */
  chunk(chunk: Uint8Array): void;
  /** the body could not be read (the connection broke) */
  unreadable(err: unknown): void;
}

export function tooLarge(limit: string, what: string, max: number): ServerFnError {
  return new ServerFnError(`${what} exceeds the limit of ${max} (limits.${limit}); send less, or raise limits.${limit}`, {
    type: "PayloadTooLarge",
    limit,
  });
}

export function bodyTimedOut(ms: number): ServerFnError {
  return new ServerFnError(`The request body did not arrive within ${ms} ms (limits.bodyTimeout); send it faster, or raise limits.bodyTimeout`, {
    type: "RequestTimeout",
    limit: "bodyTimeout",
  });
}

export function unreadable(err: unknown): ServerFnError {
  return new ServerFnError(`The request body could not be read: ${err instanceof Error ? err.message : "the connection failed"}`, { type: "Deserialization" });
}
