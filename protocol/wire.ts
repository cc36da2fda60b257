/**
 * Wire constants shared by the server and the browser. Named once here so both sides
 * agree; nothing in this file may touch Node or the DOM.
 */

/** How a function's input travels and how its result comes back (docs/protocol.md §2). */
export type Encoding = "url" | "get-json" | "cbor" | "get-cbor" | "json" | "multipart";

export type Method = "GET" | "POST";

/** The HTTP method each encoding uses: the format is kept apart from the method. */
export const ENCODING_METHOD: Record<Encoding, Method> = {
  url: "POST",
  "get-json": "GET",
  cbor: "POST",
  "get-cbor": "GET",
  json: "POST",
  multipart: "POST",
};

/** The `enctype` a plain HTML form needs for encodings that work without JavaScript. */
export const FORM_ENCTYPE: Partial<Record<Encoding, string>> = {
  url: "application/x-www-form-urlencoded",
  "get-json": "application/x-www-form-urlencoded",
  multipart: "multipart/form-data",
};

export const CONTENT_TYPE = {
  url: "application/x-www-form-urlencoded",
  json: "application/json",
  cbor: "application/cbor",
  multipart: "multipart/form-data",
  html: "text/html",
} as const;

/** Sent by the client script and typed stubs: "answer me with data, not a redirect". */
export const ENHANCED_HEADER = "x-isoform";
/** Sent back instead of a 3xx to enhanced callers; the client follows it with `location.assign`. */
export const REDIRECT_HEADER = "x-isoform-redirect";

/** Hidden form fields written by the form helper. Leading `_` keeps them out of echoes. */
export const RETURN_FIELD = "_isoform_return";
/**
 * Names an empty array in a url-encoded body or query (`_isoform_empty=tags`), which qs
 * bracket syntax cannot write: the server puts `[]` at that field path (docs/protocol.md §2).
 */
export const EMPTY_FIELD = "_isoform_empty";
/** Tells apart several forms of the same function on one page (one delete form per todo). */
export const KEY_FIELD = "_isoform_key";
/**
 * The form's success text (`form(fn, { success })`), sent along so the page after the
 * redirect can show it without JavaScript; `{field}` is filled from the result, then the
 * input (protocol/fill-text.ts). At most SUCCESS_MAX characters are kept.
 */
export const SUCCESS_FIELD = "_isoform_success";
export const SUCCESS_MAX = 300;

/** Attributes the client script looks for (written by the server's form helper). */
export const ATTR = {
  /** on <form>: the server function's name */
  fn: "data-isoform",
  /** on <form>: present for a multi-action form; value = selector of the submissions list */
  multi: "data-isoform-multi",
  /** on <form>: what a second submit does while one is pending: "ignore" (default), "abort", "queue" */
  mode: "data-isoform-mode",
  /** on <form>: reset the form after a success */
  reset: "data-isoform-reset",
  /** on <form>: selector of the element to focus after a success (when the form itself goes away) */
  focus: "data-isoform-focus",
  /** on <form>: the form's key (same as KEY_FIELD) */
  key: "data-isoform-key",
  /** on an error container: the field whose error it shows ("" = form-level error) */
  error: "data-isoform-error",
  /** on an element: shows the last value (attribute value = top-level property, "" = whole value) */
  value: "data-isoform-value",
  /** inside a submission template: fill textContent from the input field of that name */
  field: "data-isoform-field",
  /** inside a submission template: the cancel / retry buttons */
  cancel: "data-isoform-cancel",
  retry: "data-isoform-retry",
  /** on a rendered submission: pending | success | error | canceled */
  state: "data-isoform-state",
  /** inside a submission template: shown only in these states (space-separated), hidden in others */
  when: "data-isoform-when",
  /** inside a submission template: removes a failed or canceled submission */
  dismiss: "data-isoform-dismiss",
  /** on <form>: text announced on success, `{field}` filled from the result, then the input */
  success: "data-isoform-success",
  /** on <form>: selectors of regions to refresh from the current page after a success */
  refresh: "data-isoform-refresh",
  /** on a form's error summary (its id inside the form is found by this attribute) */
  summary: "data-isoform-summary",
  /** on a page's notice of the last submission (`notice()`): hidden by the script once another settles */
  notice: "data-isoform-notice",
  /** on the page's live region (one per page; the script makes one if the page has none) */
  live: "data-isoform-live",
} as const;

/**
 * Where the server lists its functions' paths, methods and encodings (by name) for stubs
 * made by name; a page rendered with the helpers carries the same in a script element.
 */
export const MANIFEST_PATH = "/_isoform/manifest.json";
export const MANIFEST_ATTR = "data-isoform-manifest";

/** Where the client script is served, relative to the integration's mount point. */
export const CLIENT_PATH = "/_isoform/client";

/** Id of the element that shows a field's error; the field points at it with aria-describedby. */
export function errorId(fn: string, field: string, key?: string): string {
  const raw = `isoform-${fn}-${key ?? ""}-${field}`;
  return raw.replace(/[^A-Za-z0-9_-]/g, "_");
}
