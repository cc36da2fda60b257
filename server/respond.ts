import type { IncomingMessage, ServerResponse } from "node:http";
import { toEnvelope, type ServerFnError } from "../protocol/errors.js";
import { REDIRECT_HEADER } from "../protocol/wire.js";
import { CODECS } from "./codecs/all.js";
import type { PageHelpers } from "./helpers.js";
import { errorPage } from "./html.js";
import { echoableInput, type Outcome } from "./outcome.js";
import { OUTCOME_TTL_MS, outcomeCookie, sealOutcome } from "./outcome-cookie.js";
import type { RequestFacts } from "./core.js";
import type { FunctionRun } from "./pipeline.js";
import { sameOriginPath, withoutFragment } from "./redirect.js";
import { requestKind } from "./request-kind.js";

export interface RespondEnv {
  secret: Buffer;
  /** Renders the return page in this response with the outcome, when it cannot travel by cookie. */
  renderPage: (req: IncomingMessage, res: ServerResponse, outcome: Outcome, status: number) => void;
  /** Template helpers for the page an htmx request came from, for a function's HTML view. */
  pageHelpers: (url: string, base: string | undefined) => PageHelpers;
}

/**
 * The response edge: one function run, rendered for whoever asked (docs/protocol.md §3). Enhanced and
 * API callers get data or an error envelope; htmx gets HTML or `HX-Redirect`; a browser
 * without JavaScript gets a 303 back to its page (Post/Redirect/Get).
 */
export function respond(req: IncomingMessage, res: ServerResponse, run: FunctionRun, env: RespondEnv, facts: RequestFacts): void {
  const { origin } = facts;
  const kind = requestKind(req);
  if (kind === "navigation") return respondNavigation(req, res, run, env, origin);
  const { result, fn } = run;
  if (result.type === "redirect") {
    if (kind === "htmx") res.setHeader("HX-Redirect", result.location);
    else res.setHeader(REDIRECT_HEADER, result.location);
    return sendBody(res, 200, CODECS[fn.encoding].responseType, CODECS[fn.encoding].encode(null));
  }
  if (result.type === "error") {
    if (result.error.type === "MethodNotAllowed") res.setHeader("Allow", allowed(fn.method));
    return sendError(res, result.error, fn.encoding === "cbor" || fn.encoding === "get-cbor");
  }
  if (kind === "htmx" && fn.view) {
    const page = sameOriginPath(req.headers["hx-current-url"], origin) ?? "/";
    return sendBody(res, 200, "text/html; charset=utf-8", fn.view(result.value, env.pageHelpers(page, facts.base), req));
  }
  const codec = CODECS[fn.encoding];
  sendBody(res, 200, codec.responseType, codec.encode(result.value));
}

/** Writes an error envelope (JSON, or CBOR for CBOR functions). */
export function sendError(res: ServerResponse, error: ServerFnError, cbor = false): void {
  const codec = cbor ? CODECS.cbor : CODECS.json;
  // A client too slow to send its body is not kept: the rest of that body is never read.
  if (error.limit === "bodyTimeout") res.setHeader("Connection", "close");
  sendBody(res, error.status, codec.responseType, codec.encode(toEnvelope(error)));
}

export function sendBody(res: ServerResponse, status: number, type: string, body: string | Uint8Array): void {
  // writeHead with an object (merged with any header set earlier) is node's fast path:
  // measurably quicker than setHeader per header on the hot path (bench/README.md).
  res.writeHead(status, { "Content-Type": type, "Content-Length": typeof body === "string" ? Buffer.byteLength(body) : body.byteLength });
  res.end(body);
}

function respondNavigation(req: IncomingMessage, res: ServerResponse, run: FunctionRun, env: RespondEnv, origin: string): void {
  const { result, fn } = run;
  const to =
    sameOriginPath(run.returnTo, origin) ?? sameOriginPath(req.headers.referer, origin) ?? "/";
  if (result.type === "redirect") return seeOther(res, result.location);
  if (result.type === "error" && refusedOutright(result.error)) {
    // Nothing was accepted, so there is no form state to carry back: say what happened.
    if (result.error.type === "MethodNotAllowed") res.setHeader("Allow", allowed(fn.method));
    const title = result.error.type === "Forbidden" ? "Request refused" : "Not available";
    return sendBody(res, result.error.status, "text/html; charset=utf-8", errorPage(result.error.status, title, result.error.message, to));
  }
  const stored: Outcome = { fn: fn.name, to: withoutFragment(to), exp: Date.now() + OUTCOME_TTL_MS, ok: result.type === "ok" };
  if (run.key !== undefined) stored.key = run.key;
  if (result.type === "ok") {
    if (result.value !== undefined) stored.value = result.value;
  } else {
    stored.error = toEnvelope(result.error).error;
    const input = echoableInput(run.input, fn.sensitive);
    if (input) stored.input = input;
  }
  const secure = origin.startsWith("https:");
  let sealed = sealOutcome(stored, env.secret);
  if (sealed === undefined && result.type === "ok") {
    // A large result need not travel: it is saved, and the page renders it from its own data.
    delete stored.value;
    sealed = sealOutcome(stored, env.secret);
  }
  if (sealed === undefined) {
    // Too large for a cookie (a 50 KB textarea): render the page now rather than lose input.
    return env.renderPage(req, res, stored, result.type === "error" ? result.error.status : 200);
  }
  seeOther(res, to, outcomeCookie(sealed, secure));
}

function refusedOutright(error: ServerFnError): boolean {
  return error.type === "Forbidden" || error.type === "MethodNotAllowed" || error.type === "NotFound";
}

function seeOther(res: ServerResponse, location: string, cookie?: string): void {
  // One writeHead with every header: node's fast path (see sendBody()).
  const headers: Record<string, string | number> = { Location: location, "Content-Length": 0 };
  if (cookie) headers["Set-Cookie"] = cookie;
  res.writeHead(303, headers);
  res.end();
}

function allowed(method: string): string {
  return method === "GET" ? "GET, HEAD" : method;
}
