import { EMPTY_FIELD } from "../protocol/wire.js";

/**
 * Writes a value as form fields in the bracket syntax the server's qs parser reads:
 * `{ address: { city: "X" }, tags: ["a", "b"] }` → `address[city]=X&tags[0]=a&tags[1]=b`.
 * `undefined` is left out, `null` is sent as an empty string; Blobs only fit FormData. An
 * empty array, which brackets cannot write, is named in `_isoform_empty=tags`.
 */
export function toEntries(value: unknown, prefix = "", out: [string, string | Blob][] = []): [string, string | Blob][] {
  if (value === undefined) return out;
  if (value === null) out.push([prefix, ""]);
  else if (typeof Blob !== "undefined" && value instanceof Blob) out.push([prefix, value]);
  else if (value instanceof Date) out.push([prefix, value.toISOString()]);
  else if (Array.isArray(value)) {
    if (value.length === 0) out.push([EMPTY_FIELD, prefix]);
    value.forEach((v, i) => toEntries(v, `${prefix}[${i}]`, out));
  }
  else if (typeof value === "object") {
    for (const [k, v] of Object.entries(value)) toEntries(v, prefix ? `${prefix}[${k}]` : k, out);
  } else out.push([prefix, String(value)]);
  return out;
}

export function toSearchParams(value: unknown): URLSearchParams {
  const params = new URLSearchParams();
  for (const [k, v] of toEntries(value)) params.append(k, typeof v === "string" ? v : (v as File).name ?? "");
  return params;
}

export function toFormData(value: unknown): FormData {
  const data = new FormData();
  for (const [k, v] of toEntries(value)) data.append(k, v);
  return data;
}
