import { isAscii } from "node:buffer";
import { CONTENT_TYPE } from "../../protocol/wire.js";
import { deserializationError } from "../shape.js";
import { encodeJson, type Codec } from "./codec.js";
import { parseQuery } from "./qs-parse.js";

/** `url` (default): POST, `application/x-www-form-urlencoded` in qs bracket syntax, JSON out. */
export const urlCodec: Codec = {
  encoding: "url",
  accepts: CONTENT_TYPE.url,
  responseType: "application/json; charset=utf-8",
  async decode({ request, limits }) {
    const body = await request.body.read(limits.bodySize, limits.bodyTimeout);
    return parseQuery(utf8Text(body), limits);
  },
  encode: encodeJson,
};

// Fatal: bytes that are not UTF-8 are refused, not patched with U+FFFD, as in every text codec.
const utf8 = new TextDecoder("utf-8", { fatal: true });

/** A body as text. Browsers percent-encode everything else, so ASCII (native check) is the fast path. */
function utf8Text(body: Uint8Array): string {
  if (isAscii(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("latin1");
  try {
    return utf8.decode(body);
  } catch {
    throw deserializationError("The body is not valid UTF-8; percent-encode the form data as UTF-8");
  }
}
