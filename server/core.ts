import { randomBytes } from "node:crypto";
import { ServerFnError } from "../protocol/errors.js";
import { CLIENT_PATH, MANIFEST_PATH } from "../protocol/wire.js";
import { compressedAsset, IMMUTABLE, loadClientAssets, preferredEncoding, type ClientAssets } from "./client-assets.js";
import { normalizeOrigins } from "./cross-origin.js";
import { PageHelpers } from "./helpers.js";
import { checkLimits, type Limits } from "./limits.js";
import type { Outcome } from "./outcome.js";
import { clearOutcomeCookie, openOutcome, readOutcomeCookies } from "./outcome-cookie.js";
import { runFunction, safeLog, toRunResult, type PipelineEnv } from "./pipeline.js";
import { describe, describeWithStack } from "./describe.js";
import { defaultRegistry, type Registry } from "./registry.js";
import { errorAnswer, errorPageAnswer, respond, type RespondEnv } from "./respond.js";
import { requestKind } from "./request-kind.js";
import { response, type Answer, type AnswerHeaders } from "./answer.js";
import type { CoreRequest } from "./core-request.js";
import type { Guard } from "./guard.js";

export interface IsoformOptions {
  /** hostile-input limits for every function (each function may override) */
  limits?: Partial<Limits>;
  /** other origins allowed to post, e.g. `["https://admin.example.com"]` */
  trustedOrigins?: string[];
  /**
   * Signs the outcome cookie. Give every instance behind a load balancer the same one
   * (default: `ISOFORM_SECRET`, else a random secret per process).
   */
  secret?: string;
  /** hide unexpected error messages (default: `NODE_ENV === "production"`) */
  production?: boolean;
  /** registry to serve (default: every function defined with `serverFn`) */
  registry?: Registry;
  /** where unexpected handler errors are logged (default: console.error, stack outside production) */
  log?: (name: string, err: unknown) => void;
  /** folder of the built browser script (default: the installed package's `dist/browser`) */
  clientDir?: string;
  /** guards every server function runs before its own (server/guard.ts) */
  guard?: Guard | readonly Guard[];
  /** folder where uploaded files are written while a request arrives, removed when the handler settles (default: `os.tmpdir()`) */
  uploadDir?: string;
}

/** What one request is for, decided from its path alone (the mount path taken off). */
export type Match =
  | { type: "function"; fn: import("./server-fn.js").AnyServerFn; query: string }
  | { type: "asset"; name: string }
  | { type: "manifest" }
  | { type: "unknown-function" }
  | undefined;

/** What a page render gets: its helpers, and headers to add to its response. */
export interface PageContext {
  helpers: PageHelpers;
  /** `Set-Cookie` (clearing a consumed or invalid outcome cookie) and `Cache-Control` */
  headers: AnswerHeaders;
}

/**
 * The framework-free core behind every adapter. One entry point, `handle`: an adapter
 * turns its request into a CoreRequest, and writes out the Answer it gets back (or passes
 * the request on when it is not isoform's). The steps of one call are in docs/protocol.md §1.
 */
export class Core {
  readonly registry: Registry;
  readonly assets: ClientAssets;
  readonly secret: Buffer;
  readonly env: PipelineEnv;
  private readonly respondEnv: RespondEnv;

  constructor(options: IsoformOptions = {}) {
    this.registry = options.registry ?? defaultRegistry;
    this.assets = loadClientAssets(options.clientDir);
    const production = options.production ?? process.env.NODE_ENV === "production";
    checkLimits(options.limits, "isoform({ limits })");
    const secret = options.secret ?? process.env.ISOFORM_SECRET;
    if (!secret && production) {
      console.warn("isoform: no secret given (isoform({ secret }) or ISOFORM_SECRET); outcomes will not survive a restart or cross instances");
    }
    this.secret = secret ? Buffer.from(secret) : randomBytes(32);
    this.env = {
      trustedOrigins: normalizeOrigins(options.trustedOrigins),
      limits: options.limits,
      ...(options.uploadDir !== undefined ? { uploadDir: options.uploadDir } : {}),
      production,
      log: options.log ?? ((name, err) => defaultLog(name, err, production)),
      guards: options.guard === undefined ? [] : Object.freeze(([] as Guard[]).concat(options.guard)),
    };
    this.respondEnv = { secret: this.secret, pageHelpers: (url, base) => this.helpers(url, undefined, base) };
  }

  /** What `url` (path and query, under the mount path `base`) is for; undefined when not isoform's. */
  match(url: string, base = ""): Match {
    const q = url.indexOf("?");
    let pathname = q < 0 ? url : url.slice(0, q);
    if (base) {
      if (!pathname.startsWith(base)) return undefined;
      pathname = pathname.slice(base.length) || "/";
    }
    const fn = this.registry.byPath.get(pathname);
    if (fn) return { type: "function", fn, query: q < 0 ? "" : url.slice(q + 1) };
    if (pathname.startsWith(CLIENT_PATH + "/")) return { type: "asset", name: pathname.slice(CLIENT_PATH.length + 1) };
    if (pathname === MANIFEST_PATH) return { type: "manifest" };
    if (this.registry.underPrefix(pathname)) return { type: "unknown-function" };
    return undefined;
  }

  /**
   * Answers one request, or returns undefined when it is not isoform's (the adapter passes it
   * on to the app). The one error boundary: never rejects, whatever a handler, validator,
   * view or logger throws.
   */
  async handle(request: CoreRequest, m: Match = this.match(request.url, request.base)): Promise<Answer | undefined> {
    if (m === undefined) return undefined;
    try {
      if (m.type === "function") return await this.call(request, m.fn, m.query);
      if (m.type === "asset") return this.asset(request, m.name);
      if (m.type === "manifest") return response(200, "application/json; charset=utf-8", this.registry.manifest(request.base), { "Cache-Control": "no-cache" });
      return this.notFound(request);
    } catch (err) {
      return lastResort(err, m.type === "function" ? m.fn.name : "(isoform)", this.env);
    }
  }

  private async call(request: CoreRequest, fn: import("./server-fn.js").AnyServerFn, query: string): Promise<Answer> {
    const run = await runFunction(request, fn, query, this.env);
    try {
      return respond(request, run, this.respondEnv);
    } catch (err) {
      // The result could not be written (a BigInt for JSON, a view that threw): the same
      // boundary as a handler's unknown throw (logged, "Internal error" in production).
      const result = toRunResult(err, fn.name, this.env);
      const error = result.type === "error" ? result.error : new ServerFnError("Internal error", { status: 500 });
      if (requestKind(request) === "navigation") return errorPageAnswer(error.status, "Something went wrong", error.message);
      return errorAnswer(error, fn.encoding === "cbor" || fn.encoding === "get-cbor");
    }
  }

  private asset(request: CoreRequest, name: string): Answer {
    const raw = this.assets.files.get(name);
    if (!raw) return response(404, "text/plain; charset=utf-8", "Not found");
    const encoding = preferredEncoding(request.header("accept-encoding"));
    const headers: AnswerHeaders = { "Cache-Control": IMMUTABLE, Vary: "Accept-Encoding" };
    if (encoding) headers["Content-Encoding"] = encoding;
    const body = encoding ? compressedAsset(this.assets, name, encoding)! : raw;
    // HEAD: the same headers, no body (node and fetch servers drop a HEAD body anyway).
    const answer = response(200, "text/javascript; charset=utf-8", body, headers);
    if (request.method === "HEAD") answer.body = "";
    return answer;
  }

  private notFound(request: CoreRequest): Answer {
    const path = request.url.split("?")[0];
    const error = new ServerFnError(`No server function at ${path}; check the name, or that its module is imported`, { type: "NotFound" });
    if (requestKind(request) === "navigation") return errorPageAnswer(404, "Not found", error.message);
    return errorAnswer(error);
  }

  /** Template helpers for rendering the page at `url` (path and query). */
  helpers(url: string, outcome: Outcome | undefined, base = ""): PageHelpers {
    return new PageHelpers(this.registry, url, outcome, this.assets.entryUrl, base, this.env.production ? undefined : warnOnce, this.assets.preloadUrls);
  }

  /**
   * The helpers for a page this request renders, with the outcome meant for it, if any:
   * read from the cookie and cleared (in `headers`), so it shows once. Only a GET of the page
   * the submission returns to consumes it, so a stray request (a favicon) does not swallow it.
   */
  page(request: Pick<CoreRequest, "method" | "url" | "base" | "origin" | "header">, outcome?: Outcome): PageContext {
    const headers: AnswerHeaders = {};
    if (!outcome && request.method === "GET") outcome = this.takeOutcome(request, headers);
    return { helpers: this.helpers(request.url, outcome, request.base), headers };
  }

  private takeOutcome(request: Pick<CoreRequest, "url" | "origin" | "header">, headers: AnswerHeaders): Outcome | undefined {
    const raws = readOutcomeCookies(request.header("cookie"));
    if (raws.length === 0) return undefined;
    let outcome: Outcome | undefined;
    for (const raw of raws) if ((outcome = openOutcome(raw, this.secret))) break;
    const secure = request.origin.startsWith("https:");
    if (!outcome) {
      // Tampered, expired or foreign: ignore it and stop the browser sending it.
      headers["Set-Cookie"] = clearOutcomeCookie(secure);
      return undefined;
    }
    if (outcome.to !== request.url) return undefined;
    headers["Set-Cookie"] = clearOutcomeCookie(secure);
    // The page shows a one-time result. A success must not show again from a cached copy;
    // a failure should, when the user comes Back to it: what they typed is on that page
    // only (no-store would make Back fetch it anew, without the outcome).
    headers["Cache-Control"] = outcome.ok ? "no-store" : "private, no-cache";
    return outcome;
  }
}

function warnOnce(message: string): void {
  console.warn(message);
}

/** Logs a thrown value as text: printing the value itself could run its getters or traps. */
function defaultLog(name: string, err: unknown, production: boolean): void {
  console.error(`isoform: server function "${name}" failed: ${production ? describe(err) : describeWithStack(err)}`);
}

/**
 * The answer when answering failed in a way the error boundary did not foresee: a bare 500
 * envelope, built from constants, so nothing of the thrown value is read. The adapters
 * never see a rejection, and nothing reaches a framework's own error page.
 */
function lastResort(err: unknown, name: string, env: PipelineEnv): Answer {
  safeLog(env, name, err);
  return response(500, "application/json; charset=utf-8", '{"error":{"type":"ServerError","message":"Internal error"}}', { "Cache-Control": "no-store" });
}
