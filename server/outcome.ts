import type { ErrorBody } from "../protocol/errors.js";
import { fieldPath } from "../protocol/field-path.js";
import { isUploadedFile } from "./codecs/multipart.js";

/**
 * What a page needs to know of a form submission after Post/Redirect/Get: which form,
 * whether it worked, its value or error, and what the user typed (less anything sensitive).
 * It travels in the outcome cookie, or stays in memory when the page is re-rendered in
 * the same response.
 */
export interface Outcome {
  /** function name */
  fn: string;
  /** which of several forms of that function (`_isoform_key`), if any */
  key?: string;
  ok: boolean;
  value?: unknown;
  error?: ErrorBody;
  /** a success's notice: the form's success text, filled (protocol/fill-text.ts) */
  notice?: string;
  /** the submitted input, sensitive fields and files removed */
  input?: Record<string, unknown>;
  /** the return page (path and query) the outcome is meant for */
  to: string;
  /** expiry, ms since the epoch */
  exp: number;
}

/**
 * Names that are always sensitive: `_private` fields and fields named like passwords or
 * secrets, anywhere in the name (`password_confirmation`, `newPassword`, `api_token`).
 */
const ALWAYS_SENSITIVE = /^_|pass(word|wd|phrase)|pwd|secret|token|^pin$|^cvc$|^cvv$|^otp$/i;


/**
 * Whether the value at `path` (object keys from the top, array indices left out) is
 * sensitive. A plain name in `sensitive` (`ssn`) matches that key at any depth; a nested
 * one (`card[number]`) matches that path exactly.
 */
function isSensitivePath(path: readonly string[], sensitive: readonly string[]): boolean {
  const last = path[path.length - 1];
  if (last === undefined) return false;
  if (ALWAYS_SENSITIVE.test(last)) return true;
  for (const name of sensitive) {
    const want = fieldPath(name);
    if (want.length === 1 ? want[0] === last : want.length === path.length && want.every((seg, i) => seg === path[i])) return true;
  }
  return false;
}

/**
 * Copies input without sensitive fields (at any depth) and without file contents, so
 * they are never echoed to a page, stored in a cookie, or logged.
 */
export function echoableInput(input: unknown, sensitive: readonly string[]): Record<string, unknown> | undefined {
  if (!input || typeof input !== "object" || Array.isArray(input)) return undefined;
  const copy = (v: unknown, path: string[]): unknown => {
    if (isUploadedFile(v)) return undefined;
    if (Array.isArray(v)) return v.map((item) => copy(item, path));
    if (v && typeof v === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, child] of Object.entries(v)) {
        const at = [...path, k];
        if (isSensitivePath(at, sensitive)) continue;
        const c = copy(child, at);
        if (c !== undefined) out[k] = c;
      }
      return out;
    }
    return v;
  };
  return copy(input, []) as Record<string, unknown>;
}

/** Whether a form field name (`card[number]`, `tags[]`) is sensitive; digits are list indices. */
export function isSensitiveName(name: string, sensitive: readonly string[]): boolean {
  return isSensitivePath(fieldPath(name).filter((seg) => !/^\d+$/.test(seg)), sensitive);
}
