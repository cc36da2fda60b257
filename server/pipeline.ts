import type { IncomingMessage, ServerResponse } from "node:http";
import { ServerFnError } from "../client/errors.js";
import { KEY_FIELD, RETURN_FIELD } from "../client/wire.js";
import { CODECS } from "./codecs/all.js";
import { checkCrossOrigin } from "./cross-origin.js";
import { mergeLimits, type Limits } from "./limits.js";
import { Redirect, sameOriginPath } from "./redirect.js";
import type { AnyServerFn, Context } from "./server-fn.js";

/** The handler's outcome: only the response edge decides how each one is rendered. */
export type Outcome =
  | { type: "ok"; value: unknown }
  | { type: "redirect"; location: string }
  | { type: "error"; error: ServerFnError };

/** One run of a server function for one request, with what the response edge needs. */
export interface Submission {
  fn: AnyServerFn;
  outcome: Outcome;
  /** decoded input (our hidden fields removed); undefined when decoding failed */
  input?: unknown;
  /** the hidden return field, unchecked */
  returnTo?: unknown;
  /** the hidden key field */
  key?: string;
}

export interface PipelineEnv {
  trustedOrigins: ReadonlySet<string>;
  limits: Partial<Limits> | undefined;
  production: boolean;
  /** where unexpected errors go; receives the function's name and the thrown value */
  log: (name: string, err: unknown) => void;
}

const limitsCache = new WeakMap<AnyServerFn, Limits>();

function limitsFor(fn: AnyServerFn, global: Partial<Limits> | undefined): Limits {
  let l = limitsCache.get(fn);
  if (!l) limitsCache.set(fn, (l = mergeLimits(global, fn.limits)));
  return l;
}

/**
 * Decodes, checks, validates and runs one server function. Knows nothing of express:
 * both adapters call it with a node request and response. Never throws.
 */
export async function runFunction(
  req: IncomingMessage,
  res: ServerResponse,
  fn: AnyServerFn,
  query: string,
  env: PipelineEnv,
  /** this request's own origin, e.g. `https://app.example` (proxy-aware in the express adapter) */
  origin: string,
): Promise<Submission> {
  const sub: Submission = { fn, outcome: { type: "ok", value: undefined } };
  try {
    const method = req.method === "HEAD" ? "GET" : req.method;
    if (method !== fn.method) {
      throw new ServerFnError(`${fn.name} accepts ${fn.method} only, not ${req.method}`, { type: "MethodNotAllowed" });
    }
    if (fn.method !== "GET" && fn.csrf) checkCrossOrigin(req, origin, env.trustedOrigins);
    const codec = CODECS[fn.encoding];
    const contentType = mediaType(req.headers["content-type"]);
    if (codec.accepts && contentType !== codec.accepts && !(contentType === "" && isEmpty(req))) {
      throw new ServerFnError(
        `${fn.name} expects ${codec.accepts} (encoding "${fn.encoding}"), not ${contentType || "a body without Content-Type"}`,
        { type: "UnsupportedMediaType" },
      );
    }
    if (codec.accepts && req.readableEnded) {
      // Waiting for a body that was already read would hang the request forever.
      throw new ServerFnError(
        `The request body was already read, most likely by a body parser (express.json(), express.urlencoded()) mounted before isoform(); mount isoform() first`,
        { status: 500 },
      );
    }
    let input = await codec.decode({ req, query, contentType, limits: limitsFor(fn, env.limits) });
    if (input && typeof input === "object" && !Array.isArray(input) && (RETURN_FIELD in input || KEY_FIELD in input)) {
      const { [RETURN_FIELD]: returnTo, [KEY_FIELD]: key, ...rest } = input as Record<string, unknown>;
      sub.returnTo = returnTo;
      if (typeof key === "string") sub.key = key;
      input = rest;
    }
    sub.input = input;
    sub.outcome = { type: "ok", value: await fn.run(input, new RequestContext(req, res)) };
  } catch (err) {
    sub.outcome = toOutcome(err, fn.name, env);
  }
  if (sub.outcome.type === "redirect") {
    const target = sameOriginPath(sub.outcome.location, origin);
    if (target === undefined) {
      env.log(fn.name, new Error(`refused to redirect to ${JSON.stringify(sub.outcome.location)}: not same-origin`));
      sub.outcome = { type: "error", error: new ServerFnError("The server tried to redirect off-site", { status: 500 }) };
    } else {
      sub.outcome.location = target;
    }
  }
  return sub;
}

/** Turns anything thrown into an outcome: the single boundary for unknown throws. */
export function toOutcome(err: unknown, name: string, env: Pick<PipelineEnv, "production" | "log">): Outcome {
  if (err instanceof Redirect) return { type: "redirect", location: err.location };
  if (err instanceof ServerFnError) {
    if (err.status >= 500) env.log(name, err);
    return { type: "error", error: err };
  }
  env.log(name, err);
  // Only errors created on purpose show their message; others could leak internals.
  const message = env.production ? "Internal error" : `Internal error: ${(err as Error)?.message ?? String(err)}`;
  return { type: "error", error: new ServerFnError(message, { status: 500 }) };
}

/**
 * A handler's `ctx`. A class, so a request allocates one small object rather than fresh
 * closures for each method (measured on the hot path: bench/README.md).
 */
class RequestContext implements Context {
  private controller: AbortController | undefined;
  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
  ) {}

  // Created on first use: most handlers never look, and the hot path stays lean.
  get signal(): AbortSignal {
    if (!this.controller) {
      const controller = (this.controller = new AbortController());
      const res = this.res;
      if (res.closed && !res.writableFinished) controller.abort();
      else res.once("close", () => res.writableFinished || controller.abort());
    }
    return this.controller.signal;
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

function isEmpty(req: IncomingMessage): boolean {
  const len = req.headers["content-length"];
  return req.headers["transfer-encoding"] === undefined && (len === undefined || len === "0");
}

