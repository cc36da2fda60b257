import { Decoder, encode } from "cbor-x";
import { CONTENT_TYPE } from "../../protocol/wire.js";
import { deserializationError } from "../shape.js";
import { scanCbor } from "./cbor-scan.js";
import type { Codec, DecodeInput } from "./codec.js";

export function encodeCbor(value: unknown): Uint8Array {
  return encode(value === undefined ? null : value);
}

// Plain objects for maps: safe because `scanCbor` refused every prototype key first (cbor-x
// would quietly rename a `__proto__` key), and every tag that builds something else.
const decoder = new Decoder({ mapsAsObjects: true, useRecords: false });

/** `cbor`: POST, `application/cbor` both ways (binary-safe, compact). */
export const cborCodec: Codec = {
  encoding: "cbor",
  accepts: CONTENT_TYPE.cbor,
  responseType: CONTENT_TYPE.cbor,
  async decode({ request, limits }: DecodeInput) {
    const body = await request.body.read(limits.bodySize, limits.bodyTimeout);
    if (body.length === 0) throw deserializationError("The body is empty; send one CBOR item");
    // Refuses what the protocol does not accept, and checks every limit, before cbor-x allocates.
    scanCbor(body, limits);
    let value: unknown;
    try {
      value = decoder.decode(body);
    } catch (err) {
      throw deserializationError(`The body is not valid CBOR: ${(err as Error).message}`);
    }
    return value;
  },
  encode: encodeCbor,
};
