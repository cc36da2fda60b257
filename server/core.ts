import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { ServerFnError } from "../protocol/errors.js";
import { CLIENT_PATH } from "../protocol/wire.js";
import { IMMUTABLE, loadClientAssets, type ClientAssets } from "./client-assets.js";
import { normalizeOrigins } from "./cross-origin.js";
import { PageHelpers } from "./helpers.js";
import { errorPage } from "./html.js";
import { checkLimits, type Limits } from "./limits.js";
import type { Outcome } from "./outcome.js";
import { clearOutcomeCookie, openOutcome, readOutcomeCookies } from "./outcome-cookie.js";
import { runFunction, safeLog, toRunResult, type PipelineEnv } from "./pipeline.js";
import { describe, describeWithStack } from "./describe.js";
import { defaultRegistry, type Registry } from "./registry.js";
import { respond, sendBody, sendError, type RespondEnv } from "./respond.js";
import { requestKind } from "./request-kind.js";

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
}

/** Per-request facts the adapter knows and the core needs. */
export interface RequestFacts {
  /** the request's own origin, e.g. `http://127.0.0.1:3000` */
  origin: string;
  /** path and query as the browser sent them */
  url: string;
  /**
   * where isoform is mounted ("" at the root; "/shop" under `app.use("/shop", …)`): function
   * paths and the script's URL are under it, in the page's forms too
   */
  base?: string;
}

export type PageRenderer = (req: IncomingMessage, res: ServerResponse, outcome: Outcome, status: number) => void;

/** What one request is for, decided from its path alone. */
export type Match =
  | { type: "function"; fn: import("./server-fn.js").AnyServerFn; query: string }
  | { type: "asset"; name: string }
  | { type: "unknown-function" }
  | undefined;

/** The framework-free core shared by the express and node:http adapters. */
export class Core {
  readonly registry: Registry;
  readonly assets: ClientAssets;
  readonly secret: Buffer;
  readonly env: PipelineEnv;
  /** one response environment per adapter's page renderer, built once rather than per request */
  private readonly respondEnvs = new Map<PageRenderer, RespondEnv>();

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
      production,
      log: options.log ?? ((name, err) => defaultLog(name, err, production)),
    };
  }

  match(url: string): Match {
    const q = url.indexOf("?");
    const pathname = q < 0 ? url : url.slice(0, q);
    const fn = this.registry.byPath.get(pathname);
    if (fn) return { type: "function", fn, query: q < 0 ? "" : url.slice(q + 1) };
    if (pathname.startsWith(CLIENT_PATH + "/")) return { type: "asset", name: pathname.slice(CLIENT_PATH.length + 1) };
    if (this.registry.underPrefix(pathname)) return { type: "unknown-function" };
    return undefined;
  }

  /** Runs a function and answers the request. Never rejects: see `lastResort`. */
  async serveFunction(req: IncomingMessage, res: ServerResponse, m: Extract<Match, { type: "function" }>, facts: RequestFacts, renderPage: PageRenderer): Promise<void> {
    try {
      await this.answer(req, res, m, facts, renderPage);
    } catch (err) {
      lastResort(res, err, m.fn.name, this.env);
    }
  }

  private async answer(req: IncomingMessage, res: ServerResponse, m: Extract<Match, { type: "function" }>, facts: RequestFacts, renderPage: PageRenderer): Promise<void> {
    const run = await runFunction(req, res, m.fn, m.query, this.env, facts.origin);
    if (res.headersSent || res.destroyed) return;
    let env = this.respondEnvs.get(renderPage);
    if (!env) {
      env = { secret: this.secret, renderPage, pageHelpers: (url, base) => this.helpers(url, undefined, base) };
      this.respondEnvs.set(renderPage, env);
    }
    try {
      respond(req, res, run, env, facts);
    } catch (err) {
      // The result could not be written (a BigInt for JSON, a view that threw): the same
      // boundary as a handler's unknown throw (logged, "Internal error" in production).
      const result = toRunResult(err, m.fn.name, this.env);
      if (res.headersSent || result.type !== "error") return void res.destroy();
      res.removeHeader("Set-Cookie");
      if (requestKind(req) === "navigation") return sendBody(res, result.error.status, "text/html; charset=utf-8", errorPage(result.error.status, "Something went wrong", result.error.message));
      sendError(res, result.error, m.fn.encoding === "cbor" || m.fn.encoding === "get-cbor");
    }
  }

  serveAsset(req: IncomingMessage, res: ServerResponse, name: string): void {
    const body = this.assets.files.get(name);
    if (!body) return sendBody(res, 404, "text/plain; charset=utf-8", "Not found");
    res.setHeader("Cache-Control", IMMUTABLE);
    sendBody(res, 200, "text/javascript; charset=utf-8", req.method === "HEAD" ? "" : body);
  }

  notFound(req: IncomingMessage, res: ServerResponse, url: string): void {
    const path = url.split("?")[0];
    const error = new ServerFnError(`No server function at ${path}; check the name, or that its module is imported`, { type: "NotFound" });
    if (requestKind(req) === "navigation") return sendBody(res, 404, "text/html; charset=utf-8", errorPage(404, "Not found", error.message));
    sendError(res, error);
  }

  /** Template helpers for rendering the page at `url` (path and query). */
  helpers(url: string, outcome: Outcome | undefined, base = ""): PageHelpers {
    return new PageHelpers(this.registry, url, outcome, this.assets.entryUrl, base);
  }

  /**
   * The outcome meant for this page render, if any: read from the cookie and cleared, so it
   * shows once. Only the page the submission returns to consumes it, so a stray request
   * (a favicon) does not swallow it.
   */
  takeOutcome(req: IncomingMessage, res: ServerResponse, facts: RequestFacts): Outcome | undefined {
    const raws = readOutcomeCookies(req.headers.cookie);
    if (raws.length === 0) return undefined;
    let outcome: Outcome | undefined;
    for (const raw of raws) if ((outcome = openOutcome(raw, this.secret))) break;
    const secure = facts.origin.startsWith("https:");
    if (!outcome) {
      // Tampered, expired or foreign: ignore it and stop the browser sending it.
      appendHeader(res, "Set-Cookie", clearOutcomeCookie(secure));
      return undefined;
    }
    if (outcome.to !== facts.url) return undefined;
    appendHeader(res, "Set-Cookie", clearOutcomeCookie(secure));
    // The page shows a one-time result: a cached copy must not show it again.
    res.setHeader("Cache-Control", "no-store");
    return outcome;
  }
}

function appendHeader(res: ServerResponse, name: string, value: string): void {
  const prev = res.getHeader(name);
  if (prev === undefined) res.setHeader(name, value);
  else res.setHeader(name, ([] as string[]).concat(prev as string | string[], value));
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
function lastResort(res: ServerResponse, err: unknown, name: string, env: PipelineEnv): void {
  safeLog(env, name, err);
  try {
    if (res.headersSent) return void res.destroy();
    res.writeHead(500, { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store" });
    res.end('{"error":{"type":"ServerError","message":"Internal error"}}');
  } catch {
    res.destroy();
  }
}
