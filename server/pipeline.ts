import type { IncomingMessage, ServerResponse } from "node:http";
import type { CoreRequest } from "./core-request.js";
import { DEFAULT_STATUS, ServerFnError, type Issue } from "../protocol/errors.js";
import { CONTENT_TYPE, KEY_FIELD, RETURN_FIELD, SUCCESS_FIELD, SUCCESS_MAX } from "../protocol/wire.js";
import { CODECS } from "./codecs/all.js";
import { runGuards, type Guard } from "./guard.js";
import { RefusedInput } from "./codecs/codec.js";
import { Uploads } from "./codecs/uploaded-file.js";
import { describe } from "./describe.js";
import { checkCrossOrigin } from "./cross-origin.js";
import { mergeLimits, type Limits } from "./limits.js";
import { Redirect, sameOriginPath } from "./redirect.js";
import type { AnyServerFn, Context } from "./server-fn.js";

/** How one run of a handler ended: only the response edge decides how each is rendered. */
export type RunResult =
  | { type: "ok"; value: unknown }
  | { type: "redirect"; location: string }
  | { type: "error"; error: ServerFnError };

/** One run of a server function for one request, with what the response edge needs. */
export interface FunctionRun {
  fn: AnyServerFn;
  result: RunResult;
  /** decoded input (our hidden fields removed); undefined when decoding failed */
  input?: unknown;
  /** the hidden return field, unchecked */
  returnTo?: unknown;
  /** the hidden key field */
  key?: string;
  /** the hidden success text (`form(fn, { success })`), at most SUCCESS_MAX characters */
  success?: string;
}

export interface PipelineEnv {
  trustedOrigins: ReadonlySet<string>;
  limits: Partial<Limits> | undefined;
  production: boolean;
  /** folder of uploaded files' temporary files (default: `os.tmpdir()`) */
  uploadDir?: string;
  /** where unexpected errors go; receives the function's name and the thrown value */
  log: (name: string, err: unknown) => void;
  /** guards every function runs first (`isoform({ guard })`) */
  guards: readonly Guard[];
}

/**
 * Merged limits per handler's global limits and per function: two handlers in one process
 * (an express app and a node:http server) may give different global limits.
 */
const limitsCache = new WeakMap<object, WeakMap<AnyServerFn, Limits>>();
const NO_GLOBAL_LIMITS = {};

function limitsFor(fn: AnyServerFn, global: Partial<Limits> | undefined): Limits {
  const key = global ?? NO_GLOBAL_LIMITS;
  let byFn = limitsCache.get(key);
  if (!byFn) limitsCache.set(key, (byFn = new WeakMap()));
  let l = byFn.get(fn);
  if (!l) byFn.set(fn, (l = mergeLimits(global, fn.limits)));
  return l;
}

/**
 * Decodes, checks, validates and runs one server function (docs/protocol.md §1, steps 2–7).
 * Knows no server framework: every adapter hands it a CoreRequest. Never throws.
 */
export async function runFunction(request: CoreRequest, fn: AnyServerFn, query: string, env: PipelineEnv): Promise<FunctionRun> {
  const run: FunctionRun = { fn, result: { type: "ok", value: undefined } };
  const { origin } = request;
  let uploads: Uploads | undefined;
  try {
    const method = request.method === "HEAD" ? "GET" : request.method;
    if (method !== fn.method) {
      throw new ServerFnError(`${fn.name} accepts ${fn.method} only, not ${request.method}`, { type: "MethodNotAllowed" });
    }
    if (fn.method !== "GET" && fn.csrf) checkCrossOrigin(request, origin, env.trustedOrigins);
    // Guards: after cross-origin protection, before a byte of the body is read.
    const adds = env.guards.length || fn.guards.length ? await runGuards(env.guards.length ? [...env.guards, ...fn.guards] : fn.guards, request) : undefined;
    const codec = CODECS[fn.encoding];
    const contentType = mediaType(request.header("content-type"));
    if (codec.accepts) checkBody(request, fn, codec.accepts, contentType);
    // Uploaded files live in temporary files until the handler settles (or decoding fails).
    if (fn.encoding === "multipart") uploads = new Uploads(env.uploadDir);
    const input = takeHiddenFields(run, await codec.decode({ request, query, contentType, limits: limitsFor(fn, env.limits), uploads }));
    run.input = input;
    const ctx = new RequestContext(request);
    if (adds) Object.assign(ctx, adds);
    run.result = { type: "ok", value: await fn.run(input, ctx) };
  } catch (err) {
    if (isInstance(err, RefusedInput)) {
      // Refused, but the fields it read go back to the page (a file over fileSize).
      run.input = takeHiddenFields(run, err.input);
      run.result = { type: "error", error: err.error };
    } else {
      run.result = toRunResult(err, fn.name, env);
    }
  }
  if (uploads) await uploads.removeAll();
  if (run.result.type === "redirect") {
    const target = sameOriginPath(run.result.location, origin);
    if (target === undefined) {
      env.log(fn.name, new Error(`refused to redirect to ${JSON.stringify(run.result.location)}: not same-origin`));
      run.result = { type: "error", error: new ServerFnError("The server tried to redirect off-site", { status: 500 }) };
    } else {
      run.result.location = target;
    }
  }
  return run;
}

/**
 * Turns anything thrown into a run result: the single boundary for unknown throws. Total:
 * whatever was thrown (a Proxy whose traps throw, getters that rethrow), it returns an
 * result and never throws, and a logger that throws is ignored.
 */
export function toRunResult(err: unknown, name: string, env: Pick<PipelineEnv, "production" | "log">): RunResult {
  if (isInstance(err, Redirect)) {
    const location = readSafely(() => err.location);
    if (typeof location === "string") return { type: "redirect", location };
  }
  const chosen = ownError(err);
  if (chosen) {
    if (chosen.status >= 500) safeLog(env, name, chosen);
    return { type: "error", error: chosen };
  }
  safeLog(env, name, err);
  // Only errors created on purpose show their message; others could leak internals.
  const message = env.production ? "Internal error" : `Internal error: ${describe(err)}`;
  return { type: "error", error: new ServerFnError(message, { status: 500 }) };
}

/**
 * A ServerFnError rebuilt from what was thrown, its fields read once and checked, so the
 * response edge never reads a getter of the thrown value again; undefined when the value
 * is not one, or cannot be read.
 */
function ownError(err: unknown): ServerFnError | undefined {
  if (!isInstance(err, ServerFnError)) return undefined;
  return readSafely(() => {
    const { message, type, status, issues, limit } = err;
    if (typeof message !== "string" || !Object.hasOwn(DEFAULT_STATUS, type)) return undefined;
    if (!Number.isInteger(status) || status < 400 || status > 599) return undefined;
    const options: ConstructorParameters<typeof ServerFnError>[1] = { type, status };
    if (issues !== undefined) {
      if (!Array.isArray(issues)) return undefined;
      // An issue without a path belongs to the whole form, as a validator's would.
      options.issues = issues.map((i: Issue) => ({
        path: Array.isArray(i?.path) ? Array.from(i.path, (seg) => (typeof seg === "number" ? seg : String(seg))) : [],
        message: String(i?.message ?? ""),
      }));
    }
    if (typeof limit === "string") options.limit = limit;
    const { location } = err;
    if (typeof location === "string") options.location = location;
    return new ServerFnError(message, options);
  });
}

function readSafely<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

/** `instanceof` that cannot throw (a Proxy's getPrototypeOf trap can). */
function isInstance<T>(value: unknown, type: abstract new (...args: never[]) => T): value is T {
  try {
    return value instanceof type;
  } catch {
    return false;
  }
}

/** Logging must never be what breaks a response. */
export function safeLog(env: Pick<PipelineEnv, "log">, name: string, err: unknown): void {
  try {
    env.log(name, err);
  } catch {
    // The log function itself failed; there is nowhere left to report it.
  }
}

/** Our hidden form fields (return page, form key, success text) taken off the input, onto the submission. */
function takeHiddenFields(run: FunctionRun, input: unknown): unknown {
  if (!input || typeof input !== "object" || Array.isArray(input) || !(RETURN_FIELD in input || KEY_FIELD in input || SUCCESS_FIELD in input)) return input;
  const { [RETURN_FIELD]: returnTo, [KEY_FIELD]: key, [SUCCESS_FIELD]: success, ...rest } = input as Record<string, unknown>;
  run.returnTo = returnTo;
  if (typeof key === "string") run.key = key;
  if (typeof success === "string") run.success = success.slice(0, SUCCESS_MAX);
  return rest;
}

/**
 * What a body must be before a codec reads it: the function's media type, in UTF-8 (the
 * only charset the text codecs read), not compressed (refused, not inflated: a small
 * gzip body can inflate past any limit before a byte is counted), and not read already.
 */
function checkBody(request: CoreRequest, fn: AnyServerFn, accepts: string, contentType: string): void {
  if (contentType !== accepts && !(contentType === "" && isEmpty(request))) {
    if ((fn.encoding === "json" || fn.encoding === "cbor") && (contentType === CONTENT_TYPE.url || contentType === CONTENT_TYPE.multipart)) {
      // A plain form posted to a JSON or CBOR function: JavaScript was off (or not loaded).
      throw new ServerFnError(
        `This form needs JavaScript: ${fn.name} takes ${fn.encoding.toUpperCase()}, which a browser sends only with isoform's script. ` +
          `Turn JavaScript on and try again (developers: give ${fn.name} encoding "url" to serve forms without JavaScript)`,
        { type: "UnsupportedMediaType" },
      );
    }
    throw new ServerFnError(`${fn.name} expects ${accepts} (encoding "${fn.encoding}"), not ${contentType || "a body without Content-Type"}`, {
      type: "UnsupportedMediaType",
    });
  }
  const charset = charsetOf(request.header("content-type"));
  if (charset !== undefined && charset !== "utf-8" && charset !== "utf8") {
    throw new ServerFnError(`${fn.name} reads UTF-8 only, not charset=${charset}; send the body as UTF-8`, { type: "UnsupportedMediaType" });
  }
  const coding = request.header("content-encoding");
  if (coding !== undefined && coding.trim().toLowerCase() !== "identity") {
    throw new ServerFnError(`${fn.name} does not accept compressed bodies (Content-Encoding: ${coding.slice(0, 40)}); send it uncompressed`, {
      type: "UnsupportedMediaType",
    });
  }
  if (request.body.used) {
    // Waiting for a body that was already read would hang the request forever.
    throw new ServerFnError(
      `The request body was already read, most likely by a body parser (express.json(), express.urlencoded()) mounted before isoform(); mount isoform() first`,
      { status: 500 },
    );
  }
}

/**
 * A handler's `ctx`. A class, so a request allocates one small object rather than fresh
 * closures for each method (measured on the hot path: bench/README.md).
 */
class RequestContext implements Context {
  constructor(private readonly core: CoreRequest) {}

  get req(): IncomingMessage | undefined {
    return this.core.req;
  }
  get res(): ServerResponse | undefined {
    return this.core.res;
  }
  get request(): Request | undefined {
    return this.core.request;
  }
  // Created on first use, by the adapter: most handlers never look, and the hot path stays lean.
  get signal(): AbortSignal {
    return this.core.signal;
  }

  redirect(url: string): never {
    throw new Redirect(url);
  }
}

function mediaType(header: string | undefined): string {
  if (!header) return "";
  const semi = header.indexOf(";");
  return (semi < 0 ? header : header.slice(0, semi)).trim().toLowerCase();
}

/**
 * The `charset` parameter of a Content-Type, lower-case and unquoted; undefined when absent.
 * Parameters are read one by one, so `charset=` inside another's quoted value is not it.
 */
function charsetOf(header: string | undefined): string | undefined {
  if (!header || !header.includes(";")) return undefined;
  const param = /;\s*([^=;\s]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))/g;
  for (let m; (m = param.exec(header)); ) {
    if (m[1]!.toLowerCase() === "charset") return (m[2] ?? m[3] ?? "").replace(/\\(.)/g, "$1").toLowerCase();
  }
  return undefined;
}

function isEmpty(request: CoreRequest): boolean {
  const len = request.header("content-length");
  return request.header("transfer-encoding") === undefined && (len === undefined || len === "0");
}

