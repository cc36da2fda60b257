import type { IncomingMessage } from "node:http";
import { ServerFnError } from "../client/errors.js";

export function tooLarge(limit: string, what: string, max: number): ServerFnError {
  return new ServerFnError(`${what} exceeds the limit of ${max} (limits.${limit}); send less, or raise limits.${limit}`, {
    type: "PayloadTooLarge",
    limit,
  });
}

/**
 * Reads a whole request body, refusing more than `max` bytes. A declared
 * Content-Length over the limit is refused before reading a byte.
 */
export function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const declared = req.headers["content-length"];
  if (declared !== undefined && Number(declared) > max) {
    return Promise.reject(tooLarge("bodySize", "Request body", max));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        cleanup();
        // Stop buffering but let the rest drain, so the client still reads our 413.
        req.resume();
        reject(tooLarge("bodySize", "Request body", max));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(new ServerFnError(`The request body could not be read: ${err.message}`, { type: "Request", status: 400 }));
    };
    const cleanup = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
  });
}
