import type { IncomingMessage } from "node:http";
import { clearTimeout, setTimeout } from "node:timers";
import { ServerFnError } from "../protocol/errors.js";

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

/** A declared Content-Length over `max`: refused before reading a byte. */
export function declaredOver(req: IncomingMessage, max: number): boolean {
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
export function readBody(req: IncomingMessage, max: number, timeoutMs: number): Promise<Buffer> {
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
  finish(this)?.reject(new ServerFnError(`The request body could not be read: ${err.message}`, { type: "Request", status: 400 }));
}
