import { CONTENT_TYPE } from "../../protocol/wire.js";
import { checkShape, deserializationError } from "../shape.js";
import { encodeJson, type Codec } from "./codec.js";

// Fatal: a body that is not valid UTF-8 is refused rather than silently patched with U+FFFD.
const utf8 = new TextDecoder("utf-8", { fatal: true });

/** `json`: POST, `application/json` both ways. */
export const jsonCodec: Codec = {
  encoding: "json",
  accepts: CONTENT_TYPE.json,
  responseType: "application/json; charset=utf-8",
  async decode({ request, limits }) {
    const body = await request.body.read(limits.bodySize, limits.bodyTimeout);
    let value: unknown;
    try {
      value = JSON.parse(utf8.decode(body));
    } catch (err) {
      const why = body.length === 0 ? "the body is empty" : err instanceof TypeError ? "it is not UTF-8" : (err as Error).message;
      throw deserializationError(`The body is not valid JSON: ${why}`);
    }
    checkShape(value, limits);
    return value;
  },
  encode: encodeJson,
};
