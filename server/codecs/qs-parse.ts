import qs from "qs";
import { fieldPath } from "../../protocol/field-path.js";
import { EMPTY_FIELD } from "../../protocol/wire.js";
import type { Limits } from "../limits.js";
import { deserializationError, FORBIDDEN_KEYS, forbiddenKey, nulByte, tooDeep, tooManyItems, tooManyParameters } from "../shape.js";

/**
 * Decodes one percent-encoded key or value. Unlike qs's default decoder, malformed
 * percent-encoding is an error (not silently kept), and NUL characters and prototype keys
 * are refused with their own messages.
 */
function decoder(str: string, _default: unknown, _charset: unknown, type: "key" | "value"): string {
  let s = str;
  if (s.includes("+")) s = s.replace(/\+/g, " ");
  if (s.includes("%")) {
    try {
      s = decodeURIComponent(s);
    } catch {
      throw deserializationError(`Malformed percent-encoding, or bytes that are not UTF-8, in ${type} "${str.slice(0, 40)}"; encode "%" as "%25" and text as UTF-8`);
    }
  }
  if (s.includes("\0")) throw nulByte();
  // qs splits "a[b][c]" after decoding; check every segment, not just the whole key (and
  // split only keys that could hold a forbidden one: this runs for every key).
  if (type === "key" && (s.includes("proto") || s.includes("constructor"))) {
    for (const seg of s.split(/[[\]]+/)) if (FORBIDDEN_KEYS.has(seg)) throw forbiddenKey(seg);
  }
  return s;
}

/** qs options per limits object (limits are merged once per function), built once. */
const optionsCache = new WeakMap<Limits, qs.IParseOptions>();

function optionsFor(limits: Limits): qs.IParseOptions {
  let o = optionsCache.get(limits);
  if (!o) {
    o = {
      depth: limits.depth,
      strictDepth: true,
      parameterLimit: limits.parameters,
      arrayLimit: limits.arrayLength,
      throwOnLimitExceeded: true,
      allowPrototypes: false,
      decoder: decoder as qs.IParseOptions["decoder"],
    };
    optionsCache.set(limits, o);
  }
  return o;
}

/** qs bracket syntax (`todo[tags][]=a`) with the hostile-input limits turned into errors. */
export function parseQuery(text: string, limits: Limits): Record<string, unknown> {
  if (text.length === 0) return {};
  let parsed: Record<string, unknown>;
  try {
    parsed = qs.parse(text, optionsFor(limits)) as Record<string, unknown>;
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    // qs reports its limits as RangeErrors; map each to its own envelope.
    if (/depth/i.test(err.message)) throw tooDeep(limits.depth);
    if (/array/i.test(err.message)) throw tooManyItems(limits.arrayLength);
    if (/parameter/i.test(err.message)) throw tooManyParameters(limits.parameters);
    throw deserializationError(err.message);
  }
  if (EMPTY_FIELD in parsed) putEmptyArrays(parsed, limits);
  return parsed;
}

/**
 * `_isoform_empty=tags` (one per empty array a stub sent: brackets cannot write one) puts
 * `[]` at that field path, unless something is there already. Paths are held to the same
 * rules as keys: depth, and no prototype names.
 */
function putEmptyArrays(input: Record<string, unknown>, limits: Limits): void {
  const named = input[EMPTY_FIELD];
  delete input[EMPTY_FIELD];
  for (const path of Array.isArray(named) ? named : [named]) {
    if (typeof path !== "string") throw deserializationError(`${EMPTY_FIELD} names a field path, like tags or address[tags]`);
    const segments = fieldPath(path);
    if (segments.length === 0) continue;
    if (segments.length > limits.depth + 1) throw tooDeep(limits.depth);
    for (const seg of segments) if (FORBIDDEN_KEYS.has(seg)) throw forbiddenKey(seg);
    let at: Record<string, unknown> | undefined = input;
    for (const seg of segments.slice(0, -1)) {
      const next: unknown = at[seg];
      if (next === undefined) at = at[seg] = {};
      else if (next !== null && typeof next === "object" && !Array.isArray(next)) at = next as Record<string, unknown>;
      else {
        // Something else is there (a value, a list): the path names no empty array.
        at = undefined;
        break;
      }
    }
    const last = segments[segments.length - 1]!;
    if (at && at[last] === undefined) at[last] = [];
  }
}
