import type { ErrorBody } from "../client/errors.js";
import { isUploadedFile } from "./codecs/multipart.js";

/**
 * What a page needs to know of a form submission after Post/Redirect/Get: which form,
 * whether it worked, its value or error, and what the user typed (less anything sensitive).
 * It travels in the outcome cookie, or stays in memory when the page is re-rendered in
 * the same response.
 */
export interface StoredOutcome {
  /** function name */
  fn: string;
  /** which of several forms of that function (`_isoform_key`), if any */
  key?: string;
  ok: boolean;
  value?: unknown;
  error?: ErrorBody;
  /** the submitted input, sensitive fields and files removed */
  input?: Record<string, unknown>;
  /** the return page (path and query) the outcome is meant for */
  to: string;
  /** expiry, ms since the epoch */
  exp: number;
}

/** Names that are always sensitive: `_private` fields and fields named like passwords or secrets. */
const ALWAYS_SENSITIVE = /^_|pass(word|wd|phrase)?$|^pwd$|secret|token|^pin$|^cvc$|^cvv$|^otp$/i;

/**
 * Copies input without sensitive fields (at any depth) and without file contents, so
 * they are never echoed to a page, stored in a cookie, or logged.
 */
export function echoableInput(input: unknown, sensitive: readonly string[]): Record<string, unknown> | undefined {
  if (!input || typeof input !== "object" || Array.isArray(input)) return undefined;
  const names = new Set(sensitive);
  const copy = (v: unknown): unknown => {
    if (isUploadedFile(v)) return undefined;
    if (Array.isArray(v)) return v.map(copy);
    if (v && typeof v === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, child] of Object.entries(v)) {
        if (names.has(k) || ALWAYS_SENSITIVE.test(k)) continue;
        const c = copy(child);
        if (c !== undefined) out[k] = c;
      }
      return out;
    }
    return v;
  };
  return copy(input) as Record<string, unknown>;
}

export function isSensitiveName(name: string, sensitive: readonly string[]): boolean {
  const last = name.replace(/\[\]$/, "").split(/[[\]]+/).filter(Boolean).pop() ?? name;
  return sensitive.includes(last) || ALWAYS_SENSITIVE.test(last);
}
