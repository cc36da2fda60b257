import { Decoder, encode } from "cbor-x";
import { CONTENT_TYPE } from "../../client/wire.js";
import { readBody } from "../body.js";
import { checkShape, deserializationError, forbiddenKey, FORBIDDEN_KEYS } from "../shape.js";
import { scanCbor } from "./cbor-scan.js";
import type { Codec, DecodeInput } from "./codec.js";

export function encodeCbor(value: unknown): Uint8Array {
  return encode(value === undefined ? null : value);
}

// Maps decode as Map, not objects: cbor-x quietly renames a `__proto__` key when it builds
// an object, and a refused key must be refused, not rewritten. `toPlain` builds the objects.
const decoder = new Decoder({ mapsAsObjects: false });

/**
 * CBOR maps to plain objects; prototype keys are refused as in every encoding. The scan
 * has bounded depth and size and made sure keys are text, so this walk is a plain tree.
 */
function toPlain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toPlain);
  if (!(value instanceof Map)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of value) {
    if (FORBIDDEN_KEYS.has(k)) throw forbiddenKey(k);
    out[k] = toPlain(v);
  }
  return out;
}

/** `cbor`: POST, `application/cbor` both ways (binary-safe, compact). */
export const cborCodec: Codec = {
  encoding: "cbor",
  accepts: CONTENT_TYPE.cbor,
  responseType: CONTENT_TYPE.cbor,
  async decode({ req, limits }: DecodeInput) {
    const body = await readBody(req, limits.bodySize, limits.bodyTimeout);
    if (body.length === 0) throw deserializationError("The body is empty; send one CBOR item");
    // Refuses what the protocol does not accept, and every limit, before cbor-x allocates.
    scanCbor(body, limits);
    let value: unknown;
    try {
      value = decoder.decode(body);
    } catch (err) {
      throw deserializationError(`The body is not valid CBOR: ${(err as Error).message}`);
    }
    value = toPlain(value);
    checkShape(value, limits);
    return value;
  },
  encode: encodeCbor,
};
