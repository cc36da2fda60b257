import { encode } from "cbor-x";
import { CONTENT_TYPE } from "../../protocol/wire.js";
import { ServerFnError } from "../../protocol/errors.js";
import { deserializationError } from "../shape.js";
import { decodeCbor } from "./cbor-scan.js";
import type { Codec, DecodeInput } from "./codec.js";

export function encodeCbor(value: unknown): Uint8Array {
  return encode(value === undefined ? null : value);
}

/** `cbor`: POST, `application/cbor` both ways (binary-safe, compact). */
export const cborCodec: Codec = {
  encoding: "cbor",
  accepts: CONTENT_TYPE.cbor,
  responseType: CONTENT_TYPE.cbor,
  async decode({ request, limits }: DecodeInput) {
    const body = await request.body.read(limits.bodySize, limits.bodyTimeout);
    if (body.length === 0) throw deserializationError("The body is empty; send one CBOR item");
    // Read and checked in one pass: what the protocol does not accept, and every limit, is
    // refused before the value it concerns is built (cbor-scan.ts).
    try {
      return decodeCbor(body, limits);
    } catch (err) {
      if (err instanceof ServerFnError) throw err;
      throw deserializationError(`The body is not valid CBOR: ${(err as Error).message}`);
    }
  },
  encode: encodeCbor,
};
