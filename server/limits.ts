/**
 * Hostile-input defaults, gathered in one place. Each limit has its own error, named by
 * `limit` in the envelope, so a caller can tell which one to raise.
 * Override globally with `isoform({ limits })` or per function with `serverFn({ limits })`.
 */
export interface Limits {
  /** bytes of a url / json / cbor body */
  bodySize: number;
  /** nesting depth of decoded input (qs `a[b][c]` counts the brackets) */
  depth: number;
  /** number of url-encoded parameters, or of keys in one JSON/CBOR object */
  parameters: number;
  /** items in one array */
  arrayLength: number;
  /** bytes of one uploaded file (multipart) */
  fileSize: number;
  /** number of uploaded files (multipart) */
  files: number;
  /** number of non-file fields (multipart) */
  fields: number;
  /**
   * milliseconds to receive a whole body, from the first byte we wait for: a client that
   * trickles a body is answered 408 rather than holding a connection for node's minutes
   */
  bodyTimeout: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  bodySize: 1024 * 1024,
  depth: 5,
  parameters: 1000,
  arrayLength: 100,
  fileSize: 10 * 1024 * 1024,
  files: 10,
  fields: 1000,
  bodyTimeout: 30_000,
});

/**
 * Refuses limit options that would silently remove a limit: `NaN` (an unset environment
 * variable through `Number()`), fractions, `Infinity`, negatives, unknown names. Called
 * where the options are given (`isoform()`, `createRequestHandler()`, `serverFn()`), so a
 * bad value stops the app at start-up, not at its first request.
 */
export function checkLimits(layer: Partial<Limits> | undefined, where: string): void {
  if (layer === undefined) return;
  if (layer === null || typeof layer !== "object") throw new TypeError(`isoform: ${where} limits must be an object like { bodySize: 1048576 }`);
  for (const [k, v] of Object.entries(layer) as [string, unknown][]) {
    if (v === undefined) continue;
    if (!Object.hasOwn(DEFAULT_LIMITS, k)) {
      throw new TypeError(`isoform: unknown limit "${k}" in ${where}; known limits: ${Object.keys(DEFAULT_LIMITS).join(", ")}`);
    }
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) {
      throw new TypeError(`isoform: limit "${k}" in ${where} must be a whole number ≥ 0, got ${typeof v === "number" ? String(v) : JSON.stringify(v)}; check the value (Number() of an unset variable is NaN)`);
    }
  }
}

/** Later layers win: defaults < global options < per-function options. Layers are checked. */
export function mergeLimits(...layers: (Partial<Limits> | undefined)[]): Limits {
  const out: Limits = { ...DEFAULT_LIMITS };
  for (const layer of layers) {
    if (!layer) continue;
    checkLimits(layer, "options");
    for (const [k, v] of Object.entries(layer) as [keyof Limits, number | undefined][]) if (v !== undefined) out[k] = v;
  }
  return out;
}
