import type { ServerFnError } from "../../protocol/errors.js";
import type { Encoding } from "../../protocol/wire.js";
import type { CoreRequest } from "../core-request.js";
import type { Limits } from "../limits.js";
import type { Uploads } from "./uploaded-file.js";

/** What a codec needs to decode one request. */
export interface DecodeInput {
  /** the request: its body and headers */
  request: Pick<CoreRequest, "body" | "header">;
  /** the raw query string, without `?` ("" when none) */
  query: string;
  /** the request's media type, lower-case, without parameters ("" when none) */
  contentType: string;
  limits: Limits;
  /** where a multipart codec writes files; the caller removes them (default: its own, under `os.tmpdir()`) */
  uploads?: Uploads;
}

/**
 * One encoding of docs/protocol.md §2: how a request's input is decoded and how a result (or an
 * error envelope) is encoded. Each lives in its own file; `test/codecs.test.ts` runs one
 * conformance suite against all of them.
 */
export interface Codec {
  readonly encoding: Encoding;
  /** the request media type a POST codec accepts; undefined for GET codecs (input in the query) */
  readonly accepts?: string;
  /** the response media type */
  readonly responseType: string;
  decode(input: DecodeInput): Promise<unknown>;
  encode(value: unknown): string | Uint8Array;
}

/** JSON with `undefined` as `null`: a function that returns nothing still answers a body. */
export function encodeJson(value: unknown): string {
  return value === undefined ? "null" : JSON.stringify(value);
}

/**
 * A codec's refusal that still carries the fields it read: a multipart form whose file is
 * over `fileSize` refuses the request, yet the page must get back every text field typed.
 */
export class RefusedInput {
  constructor(
    readonly error: ServerFnError,
    readonly input: Record<string, unknown>,
  ) {}
}
