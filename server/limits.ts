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
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  bodySize: 1024 * 1024,
  depth: 5,
  parameters: 1000,
  arrayLength: 100,
  fileSize: 10 * 1024 * 1024,
  files: 10,
  fields: 1000,
});

/** Later layers win: defaults < global options < per-function options. */
export function mergeLimits(...layers: (Partial<Limits> | undefined)[]): Limits {
  const out: Limits = { ...DEFAULT_LIMITS };
  for (const layer of layers) {
    if (!layer) continue;
    for (const [k, v] of Object.entries(layer) as [keyof Limits, number | undefined][]) {
      if (v === undefined) continue;
      if (!(k in DEFAULT_LIMITS)) throw new TypeError(`isoform: unknown limit "${k}"; known limits: ${Object.keys(DEFAULT_LIMITS).join(", ")}`);
      if (!Number.isInteger(v) || v < 0) throw new TypeError(`isoform: limit "${k}" must be a non-negative integer, got ${String(v)}`);
      out[k] = v;
    }
  }
  return out;
}
