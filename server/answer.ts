import type { Outcome } from "./outcome.js";

/** Response headers as node's `writeHead` takes them (and a web `Headers` can be built from). */
export type AnswerHeaders = Record<string, string | number | string[]>;

/**
 * What the core answers one request with, for the adapter to write out: a response, or
 * "render the return page with this outcome in the same response" (an outcome too big for
 * a cookie), which only the adapter can do, through the app's own page route.
 */
export type Answer = ResponseAnswer | { type: "page"; status: number; outcome: Outcome };

export interface ResponseAnswer {
  type: "response";
  status: number;
  headers: AnswerHeaders;
  body: string | Uint8Array;
}

/** A response with its Content-Type and Content-Length (any other headers merged in). */
export function response(status: number, type: string, body: string | Uint8Array, headers?: AnswerHeaders): ResponseAnswer {
  const length = typeof body === "string" ? Buffer.byteLength(body) : body.byteLength;
  return { type: "response", status, headers: { ...headers, "Content-Type": type, "Content-Length": length }, body };
}
