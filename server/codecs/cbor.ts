import { decode, encode } from "cbor-x";
import { CONTENT_TYPE } from "../../client/wire.js";
import { readBody } from "../body.js";
import { checkShape, deserializationError } from "../shape.js";
import type { Codec, DecodeInput } from "./codec.js";
import { parseQuery } from "./qs-parse.js";

export function encodeCbor(value: unknown): Uint8Array {
  return encode(value === undefined ? null : value);
}

/** `cbor`: POST, `application/cbor` both ways (binary-safe, compact). */
export const cborCodec: Codec = {
  encoding: "cbor",
  accepts: CONTENT_TYPE.cbor,
  responseType: CONTENT_TYPE.cbor,
  async decode({ req, limits }: DecodeInput) {
    const body = await readBody(req, limits.bodySize);
    if (body.length === 0) throw deserializationError("The body is empty; send one CBOR item");
    let value: unknown;
    try {
      value = decode(body);
    } catch (err) {
      throw deserializationError(`The body is not valid CBOR: ${(err as Error).message}`);
    }
    checkShape(value, limits);
    return value;
  },
  encode: encodeCbor,
};
