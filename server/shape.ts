import { ServerFnError } from "../protocol/errors.js";
import type { Limits } from "./limits.js";
import { tooLarge } from "./request-body.js";

/** Keys that could reach an object's prototype if a handler merged the input somewhere. */
export const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

export function deserializationError(message: string, limit?: string): ServerFnError {
  return new ServerFnError(message, { type: "Deserialization", ...(limit ? { limit } : {}) });
}

export function forbiddenKey(key: string): ServerFnError {
  return deserializationError(`The key "${key}" is not allowed in input (it could reach an object's prototype); rename the field`);
}

export function nulByte(): ServerFnError {
  return deserializationError("Input contains a NUL character (\\0); remove it");
}

export function tooDeep(max: number): ServerFnError {
  return deserializationError(`Input is nested deeper than ${max} levels (limits.depth); flatten it, or raise limits.depth`, "depth");
}

export function tooManyItems(max: number): ServerFnError {
  return tooLarge("arrayLength", "An array", max);
}

export function tooManyParameters(max: number): ServerFnError {
  return tooLarge("parameters", "The number of parameters", max);
}

/**
 * Checks decoded JSON/CBOR input against the same limits the url codec enforces through
 * qs, so every encoding refuses the same hostile shapes with the same errors.
 */
export function checkShape(value: unknown, limits: Limits): void {
  walk(value, 0, limits, { keys: 0 });
}

// Module-level rather than a closure inside checkShape: it runs for every JSON/CBOR request.
function walk(v: unknown, depth: number, limits: Limits, count: { keys: number }): void {
  if (typeof v === "string") {
    if (v.includes("\0")) throw nulByte();
    return;
  }
  if (v === null || typeof v !== "object") return;
  if (depth > limits.depth) throw tooDeep(limits.depth);
  if (Array.isArray(v)) {
    if (v.length > limits.arrayLength) throw tooManyItems(limits.arrayLength);
    for (const item of v) walk(item, depth + 1, limits, count);
    return;
  }
  if (ArrayBuffer.isView(v) || v instanceof Date) return;
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) {
    throw deserializationError("Input contains an object of an unsupported kind; send plain objects, arrays and scalars");
  }
  for (const k of Object.keys(v)) {
    if (FORBIDDEN_KEYS.has(k)) throw forbiddenKey(k);
    if (k.includes("\0")) throw nulByte();
    if (++count.keys > limits.parameters) throw tooManyParameters(limits.parameters);
    walk((v as Record<string, unknown>)[k], depth + 1, limits, count);
  }
}
