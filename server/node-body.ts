import type { IncomingMessage } from "node:http";
import type { Writable } from "node:stream";
import { setTimeout } from "node:timers";
import { ServerFnError } from "../protocol/errors.js";
import { bodyTimedOut, tooLarge, unreadable, type BodyReader, type RequestBody } from "./request-body.js";

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

  get declaredLength(): number | undefined {
    const declared = this.req.headers["content-length"];
    return declared === undefined ? undefined : Number(declared);
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

// ---------------------------------------------------------------- time limits

/**
 * Work with a time limit: a body read here, a form the multipart codec reads.
 * `startTimeLimit(ms)` puts it in the list of its limit, and `expire()` is called once `ms`
 * have passed unless `stopTimeLimit()` came first.
 *
 * Each list, one per limit, holds its work in the order it started, so in the order it
 * falls due: one timer, set for the first, and set again when it fires, for the first then
 * left. Work that stops leaves the list in constant time, and the timer as it is: it fires
 * early at worst, finds nothing due, and waits for the next. It is unref'd: a pending body
 * keeps the process alive through its socket, not through its time limit. Setting and
 * clearing a timer for each request was a tenth of the CPU of decoding a small body.
 */
export abstract class TimeLimited {
  /** when it falls due, in `performance.now()` time */
  private due = 0;
  private next: TimeLimited | undefined = undefined;
  private prev: TimeLimited | undefined = undefined;
  private list: TimeLimits | undefined = undefined;

  /** Called once its time limit passed (it has left the list). */
  protected abstract expire(): void;

  startTimeLimit(ms: number): void {
    let list = lastList;
    if (list?.ms !== ms) {
      list = listsByMs.get(ms);
      if (!list) listsByMs.set(ms, (list = { ms, first: undefined, last: undefined, timer: undefined }));
      lastList = list;
    }
    this.due = performance.now() + ms;
    this.list = list;
    this.prev = list.last;
    if (list.last) list.last.next = this;
    else list.first = this;
    list.last = this;
    list.timer ??= setTimeout(TimeLimited.fire, ms, list).unref();
  }

  stopTimeLimit(): void {
    const list = this.list;
    if (!list) return;
    if (this.prev) this.prev.next = this.next;
    else list.first = this.next;
    if (this.next) this.next.prev = this.prev;
    else list.last = this.prev;
    this.next = this.prev = this.list = undefined;
  }

  private static fire(this: void, list: TimeLimits): void {
    list.timer = undefined;
    const now = performance.now();
    for (let first = list.first; first && first.due <= now; first = list.first) {
      first.stopTimeLimit();
      first.expire();
    }
    // Timers count whole milliseconds: one more, so the first is due when this one fires.
    if (list.first) list.timer = setTimeout(TimeLimited.fire, Math.ceil(list.first.due - now) + 1, list).unref();
  }
}

interface TimeLimits {
  ms: number;
  first: TimeLimited | undefined;
  last: TimeLimited | undefined;
  timer: NodeJS.Timeout | undefined;
}
const listsByMs = new Map<number, TimeLimits>();
/** The list used last: most servers have one time limit for every function. */
let lastList: TimeLimits | undefined;

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
