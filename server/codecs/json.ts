import { CONTENT_TYPE } from "../../client/wire.js";
import { readBody } from "../body.js";
import { checkShape, deserializationError } from "../shape.js";
import { encodeJson, type Codec } from "./codec.js";

/** `json`: POST, `application/json` both ways. */
export const jsonCodec: Codec = {
  encoding: "json",
  accepts: CONTENT_TYPE.json,
  responseType: "application/json; charset=utf-8",
  async decode({ req, limits }) {
    const body = await readBody(req, limits.bodySize);
    let value: unknown;
    try {
      value = JSON.parse(body.toString("utf8"));
    } catch (err) {
      const why = body.length === 0 ? "the body is empty" : (err as Error).message;
      throw deserializationError(`The body is not valid JSON: ${why}`);
    }
    checkShape(value, limits);
    return value;
  },
  encode: encodeJson,
};
