import { Decoder, encode } from "cbor-x";
import { CONTENT_TYPE } from "../../client/wire.js";
import { readBody } from "../body.js";
import { checkShape, deserializationError, forbiddenKey, FORBIDDEN_KEYS, tooDeep } from "../shape.js";
import type { Codec, DecodeInput } from "./codec.js";
import { parseQuery } from "./qs-parse.js";

export function encodeCbor(value: unknown): Uint8Array {
  return encode(value === undefined ? null : value);
}

// Maps decode as Map, not objects: cbor-x quietly renames a `__proto__` key when it builds
// an object, and a refused key must be refused, not rewritten. `toPlain` builds the objects.
const decoder = new Decoder({ mapsAsObjects: false });

/** CBOR maps to plain objects with text keys; prototype keys are refused as in every encoding. */
function toPlain(value: unknown, maxDepth: number, depth = 0): unknown {
  if (depth > maxDepth && (Array.isArray(value) || value instanceof Map)) throw tooDeep(maxDepth);
  if (Array.isArray(value)) return value.map((v) => toPlain(v, maxDepth, depth + 1));
  if (!(value instanceof Map)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of value) {
    if (typeof k !== "string") throw deserializationError("CBOR map keys must be text strings");
    if (FORBIDDEN_KEYS.has(k)) throw forbiddenKey(k);
    out[k] = toPlain(v, maxDepth, depth + 1);
  }
  return out;
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
      value = decoder.decode(body);
    } catch (err) {
      throw deserializationError(`The body is not valid CBOR: ${(err as Error).message}`);
    }
    value = toPlain(value, limits.depth);
    checkShape(value, limits);
    return value;
  },
  encode: encodeCbor,
};
