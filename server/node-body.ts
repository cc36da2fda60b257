import type { IncomingMessage } from "node:http";
import type { Writable } from "node:stream";
import { clearTimeout, setTimeout } from "node:timers";
import { ServerFnError } from "../protocol/errors.js";
import { bodyTimedOut, tooLarge, unreadable, type RequestBody } from "./request-body.js";

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

  pipe(into: Writable, onChunk: (chunk: Uint8Array) => void, onError: (err: unknown) => void): void {
    const req = this.req;
    req.on("error", onError);
    req.on("data", onChunk);
    req.pipe(into);
  }

  discard(from?: Writable, onChunk?: (chunk: Uint8Array) => void): void {
    const req = this.req;
    if (from) req.unpipe(from);
    if (onChunk) req.off("data", onChunk);
    // Drain the rest, so the client still reads the answer (closing now could lose it).
    req.resume();
  }
}

/** A declared Content-Length over `max`: refused before reading a byte. */
function declaredOver(req: IncomingMessage, max: number): boolean {
  const declared = req.headers["content-length"];
  return declared !== undefined && Number(declared) > max;
}

/** The state of one body being read, kept on the request so its listeners are shared functions. */
interface Reading {
  chunks: Buffer[];
  size: number;
  max: number;
  timeoutMs: number;
  timer: NodeJS.Timeout;
  resolve(body: Buffer): void;
  reject(err: ServerFnError): void;
}
const READING = Symbol("isoform.reading");
type ReadingRequest = IncomingMessage & { [READING]?: Reading };

/**
 * Reads a whole request body, refusing more than `max` bytes, or a body not complete
 * within `timeoutMs`. A declared Content-Length over the limit is refused before reading a byte.
 *
 * The listeners are module-level functions finding their state on the request: this runs
 * for every request, and fresh closures per request showed up in profiles (bench/README.md).
 */
function readBody(req: IncomingMessage, max: number, timeoutMs: number): Promise<Buffer> {
  if (declaredOver(req, max)) return Promise.reject(tooLarge("bodySize", "Request body", max));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(onTimeout, timeoutMs, req as ReadingRequest);
    (req as ReadingRequest)[READING] = { chunks: [], size: 0, max, timeoutMs, timer, resolve, reject };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
  });
}

function finish(req: ReadingRequest): Reading | undefined {
  const reading = req[READING];
  if (!reading) return undefined;
  req[READING] = undefined;
  clearTimeout(reading.timer);
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
  const reading = finish(this);
  if (!reading) return;
  const { chunks, size } = reading;
  reading.resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
}

function onTimeout(req: ReadingRequest): void {
  const reading = finish(req);
  if (!reading) return;
  // The response says `Connection: close` (respond.ts): the rest of this body is never read.
  reading.reject(bodyTimedOut(reading.timeoutMs));
}

function onError(this: ReadingRequest, err: Error): void {
  finish(this)?.reject(unreadable(err));
}
