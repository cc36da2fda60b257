import type { IncomingMessage } from "node:http";
import type { Writable } from "node:stream";
import { ServerFnError } from "../protocol/errors.js";
import { bodyTimedOut, tooLarge, unreadable, type BodyReader, type RequestBody } from "./request-body.js";
import { TimeLimited } from "./time-limited.js";

/**
 * A node:http request's body (express, node:http, Fastify). Reading a whole body uses
 * module-level listeners with their state on the request, not closures: it runs for every
 * request, and fresh closures per request showed up in profiles (bench/README.md).
 */
export class NodeBody implements RequestBody {
  constructor(private readonly req: IncomingMessage) {}

  get used(): boolean {
    return this.req.readableEnded;
  }

  read(max: number, timeoutMs: number): Promise<Buffer> {
    return readBody(this.req, max, timeoutMs);
  }

  /**
   * Each chunk to `reader.chunk`, then to `into`, the request paused while `into` is full, and
   * `into` ended with the body: what `req.pipe(into)` beside a 'data' listener of the codec's
   * did, with one 'data' listener where those were two (each chunk's emit copied the list)
   * and none of pipe's six on `into`. The listeners are module-level functions finding their
   * `Piping` on the request (or on `into`, for 'drain'): no closures per request.
   */
  pipe(into: Writable, reader: BodyReader): void {
    const req = this.req as PipedRequest;
    const piping: Piping = { req, into, reader, discarded: false };
    req[PIPING] = piping;
    (into as PipedWritable)[PIPING] = piping;
    // Stays after a discard: an 'error' nobody hears would end the process.
    req.on("error", pipedError);
    req.on("data", pipedData);
    req.on("end", pipedEnd);
    // As pipe does: a request paused before flows now.
    req.resume();
  }

  discard(): void {
    const req = this.req as PipedRequest;
    const piping = req[PIPING];
    if (piping) {
      piping.discarded = true;
      req.off("data", pipedData);
      req.off("end", pipedEnd);
    }
    // Drain the rest, so the client still reads the answer (closing now could lose it).
    req.resume();
  }
}

const PIPING = Symbol("isoform.piping");

/** A body piped into a Writable (busboy), and whether the codec discarded it. */
interface Piping {
  req: IncomingMessage;
  into: Writable;
  reader: BodyReader;
  discarded: boolean;
}
type PipedRequest = IncomingMessage & { [PIPING]?: Piping };
type PipedWritable = Writable & { [PIPING]?: Piping };

function pipedData(this: PipedRequest, chunk: Buffer): void {
  const piping = this[PIPING]!;
  piping.reader.chunk(chunk);
  // The reader may have refused the body (discard), and `into` may be done with it.
  const into = piping.into;
  if (piping.discarded || into.writableEnded || into.destroyed) return;
  if (!into.write(chunk)) {
    this.pause();
    into.once("drain", pipedDrain);
  }
}

function pipedDrain(this: PipedWritable): void {
  const piping = this[PIPING]!;
  if (!piping.discarded) piping.req.resume();
}

function pipedEnd(this: PipedRequest): void {
  const piping = this[PIPING]!;
  const into = piping.into;
  if (!piping.discarded && !into.writableEnded && !into.destroyed) into.end();
}

function pipedError(this: PipedRequest, err: unknown): void {
  const piping = this[PIPING]!;
  if (!piping.discarded) piping.reader.unreadable(err);
}

/** A declared Content-Length over `max`: refused before reading a byte. */
function declaredOver(req: IncomingMessage, max: number): boolean {
  const declared = req.headers["content-length"];
  return declared !== undefined && Number(declared) > max;
}

const READING = Symbol("isoform.reading");
type ReadingRequest = IncomingMessage & { [READING]?: Reading };

/**
 * Reads a whole request body, refusing more than `max` bytes, or a body not complete
 * within `timeoutMs`. A declared Content-Length over the limit is refused before reading a byte.
 *
 * The listeners are module-level functions finding their state on the request, and the
 * time limit is a place in a list that one timer watches (TimeLimited), not a timer per
 * request: this runs for every request, and fresh closures, and a timer set and cleared,
 * showed up in profiles (bench/README.md).
 */
function readBody(req: IncomingMessage, max: number, timeoutMs: number): Promise<Buffer> {
  if (declaredOver(req, max)) return Promise.reject(tooLarge("bodySize", "Request body", max));
  return new Promise((resolve, reject) => {
    const reading = new Reading(req, max, timeoutMs, resolve, reject);
    (req as ReadingRequest)[READING] = reading;
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
  });
}

/** Ends a reading before its body did (a limit, a time-out, an error): the request is left as it was. */
function finish(req: ReadingRequest): Reading | undefined {
  const reading = req[READING];
  if (!reading) return undefined;
  req[READING] = undefined;
  reading.stopTimeLimit();
  req.off("data", onData);
  req.off("end", onEnd);
  req.off("error", onError);
  return reading;
}

function onData(this: ReadingRequest, chunk: Buffer): void {
  const reading = this[READING];
  if (!reading) return;
  reading.size += chunk.length;
  if (reading.size > reading.max) {
    finish(this);
    // Stop buffering but let the rest drain, so the client still reads our 413.
    this.resume();
    reading.reject(tooLarge("bodySize", "Request body", reading.max));
    return;
  }
  reading.chunks.push(chunk);
}

function onEnd(this: ReadingRequest): void {
  const reading = this[READING];
  if (!reading) return;
  // The body ended: no 'data' or 'end' comes after, so the listeners stay (an 'error' finds
  // no reading and is ignored).
  this[READING] = undefined;
  reading.stopTimeLimit();
  const { chunks, size } = reading;
  reading.resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
}

function onError(this: ReadingRequest, err: Error): void {
  finish(this)?.reject(unreadable(err));
}

/** One body being read, found on its request by the shared listeners. */
class Reading extends TimeLimited {
  chunks: Buffer[] = [];
  size = 0;

  constructor(
    readonly req: ReadingRequest,
    readonly max: number,
    readonly timeoutMs: number,
    readonly resolve: (body: Buffer) => void,
    readonly reject: (err: ServerFnError) => void,
  ) {
    super();
    this.startTimeLimit(timeoutMs);
  }

  protected expire(): void {
    if (this.req[READING] !== this) return;
    finish(this.req);
    // The response says `Connection: close` (respond.ts): the rest of this body is never read.
    this.reject(bodyTimedOut(this.timeoutMs));
  }
}
