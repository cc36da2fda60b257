/**
 * The error envelope both sides speak: `{"error": {"type", "message", "issues"?}}`.
 * Isomorphic: the server throws and renders these, the browser decodes them.
 */

export type ErrorType =
  | "Request"
  | "Deserialization"
  | "Validation"
  | "Unauthorized"
  | "Forbidden"
  | "NotFound"
  | "MethodNotAllowed"
  | "PayloadTooLarge"
  | "UnsupportedMediaType"
  | "RequestTimeout"
  | "ServerError";

/** One problem with one input field; `path` is the field's path, e.g. `["address", "city"]`. */
export interface Issue {
  path: (string | number)[];
  message: string;
}

export interface ErrorBody {
  type: ErrorType;
  message: string;
  issues?: Issue[];
  /** For limit errors: which limit was hit (`bodySize`, `depth`, `parameters`, `arrayLength`, `fileSize`, `files`, `fields`, `bodyTimeout`). */
  limit?: string;
  /** Where a caller that cannot act on this error goes instead (a guard's login page). */
  location?: string;
}

export interface ErrorEnvelope {
  error: ErrorBody;
}

export const DEFAULT_STATUS: Record<ErrorType, number> = {
  Request: 0,
  Deserialization: 400,
  Validation: 422,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  MethodNotAllowed: 405,
  PayloadTooLarge: 413,
  UnsupportedMediaType: 415,
  RequestTimeout: 408,
  ServerError: 500,
};

/**
 * An error a server function means to show: its message reaches the caller as is.
 * Anything else a handler throws becomes `"Internal error"` in production.
 */
export class ServerFnError extends Error {
  // `declare`: assigned in the constructor, so no class-field initialisers are emitted.
  declare readonly type: ErrorType;
  declare readonly status: number;
  declare readonly issues?: Issue[];
  declare readonly limit?: string;
  /**
   * A page for callers that cannot act on this error: a browser without JavaScript is
   * redirected there (303), htmx too (`HX-Redirect`); a script gets the envelope with it.
   * Same-origin only, as every redirect.
   */
  declare readonly location?: string;

  constructor(
    message: string,
    options: { type?: ErrorType; status?: number; issues?: Issue[]; limit?: string; location?: string } = {},
  ) {
    super(message);
    this.name = "ServerFnError";
    this.type = options.type ?? "ServerError";
    this.status = options.status ?? DEFAULT_STATUS[this.type];
    if (options.issues) this.issues = options.issues;
    if (options.limit) this.limit = options.limit;
    if (options.location) this.location = options.location;
  }

  /** Rebuild an error from an envelope received over the wire (anything malformed becomes a ServerError). */
  static fromEnvelope(body: unknown, status: number): ServerFnError {
    const e = (body as ErrorEnvelope | null)?.error;
    if (e && typeof e.type === "string" && typeof e.message === "string") {
      return new ServerFnError(e.message, { type: e.type, status, issues: e.issues, limit: e.limit, location: e.location });
    }
    return new ServerFnError(`Unexpected response (status ${status})`, { status });
  }
}

/**
 * The wire form of an error. A function rather than a `toJSON` method, so the browser
 * bundle, which only reads envelopes, does not carry it.
 */
export function toEnvelope(e: ServerFnError): ErrorEnvelope {
  const error: ErrorBody = { type: e.type, message: e.message };
  if (e.issues) error.issues = e.issues;
  if (e.limit) error.limit = e.limit;
  if (e.location) error.location = e.location;
  return { error };
}

export function isServerFnError(e: unknown): e is ServerFnError {
  return e instanceof ServerFnError;
}
