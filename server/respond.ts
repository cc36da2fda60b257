import type { IncomingMessage, ServerResponse } from "node:http";
import { toEnvelope, type ServerFnError } from "../protocol/errors.js";
import { REDIRECT_HEADER } from "../protocol/wire.js";
import { CODECS } from "./codecs/all.js";
import type { PageHelpers } from "./helpers.js";
import { errorPage } from "./html.js";
import { echoableInput, type StoredOutcome } from "./outcome.js";
import { OUTCOME_TTL_MS, outcomeCookie, sealOutcome } from "./outcome-cookie.js";
import type { Submission } from "./pipeline.js";
import { sameOriginPath, withoutFragment } from "./redirect.js";
import { requestKind } from "./request-kind.js";

export interface RespondEnv {
  secret: Buffer;
  /** Renders the return page in this response with the outcome, when it cannot travel by cookie. */
  renderPage: (req: IncomingMessage, res: ServerResponse, outcome: StoredOutcome, status: number) => void;
  /** Template helpers for the page an htmx request came from, for a function's HTML view. */
  pageHelpers: (url: string) => PageHelpers;
}

/**
 * The response edge: one submission, rendered for whoever asked (SPEC §2). Enhanced and
 * API callers get data or an error envelope; htmx gets HTML or `HX-Redirect`; a browser
 * without JavaScript gets a 303 back to its page (Post/Redirect/Get).
 */
export function respond(req: IncomingMessage, res: ServerResponse, sub: Submission, env: RespondEnv, origin: string): void {
  const kind = requestKind(req);
  if (kind === "navigation") return respondNavigation(req, res, sub, env, origin);
  const { outcome, fn } = sub;
  if (outcome.type === "redirect") {
    if (kind === "htmx") res.setHeader("HX-Redirect", outcome.location);
    else res.setHeader(REDIRECT_HEADER, outcome.location);
    return send(res, 200, CODECS[fn.encoding].responseType, CODECS[fn.encoding].encode(null));
  }
  if (outcome.type === "error") {
    if (outcome.error.type === "MethodNotAllowed") res.setHeader("Allow", allowed(fn.method));
    return sendError(res, outcome.error, fn.encoding === "cbor" || fn.encoding === "get-cbor");
  }
  if (kind === "htmx" && fn.view) {
    const page = sameOriginPath(req.headers["hx-current-url"], origin) ?? "/";
    return send(res, 200, "text/html; charset=utf-8", fn.view(outcome.value, env.pageHelpers(page), req));
  }
  const codec = CODECS[fn.encoding];
  send(res, 200, codec.responseType, codec.encode(outcome.value));
}

/** Writes an error envelope (JSON, or CBOR for CBOR functions). */
export function sendError(res: ServerResponse, error: ServerFnError, cbor = false): void {
  const codec = cbor ? CODECS.cbor : CODECS.json;
  // A client too slow to send its body is not kept: the rest of that body is never read.
  if (error.limit === "bodyTimeout") res.setHeader("Connection", "close");
  send(res, error.status, codec.responseType, codec.encode(toEnvelope(error)));
}

export function send(res: ServerResponse, status: number, type: string, body: string | Uint8Array): void {
  // writeHead with an object (merged with any header set earlier) is node's fast path:
  // measurably quicker than setHeader per header on the hot path (bench/README.md).
  res.writeHead(status, { "Content-Type": type, "Content-Length": typeof body === "string" ? Buffer.byteLength(body) : body.byteLength });
  res.end(body);
}

function respondNavigation(req: IncomingMessage, res: ServerResponse, sub: Submission, env: RespondEnv, origin: string): void {
  const { outcome, fn } = sub;
  const to =
    sameOriginPath(sub.returnTo, origin) ?? sameOriginPath(req.headers.referer, origin) ?? "/";
  if (outcome.type === "redirect") return seeOther(res, outcome.location);
  if (outcome.type === "error" && refusedOutright(outcome.error)) {
    // Nothing was accepted, so there is no form state to carry back: say what happened.
    if (outcome.error.type === "MethodNotAllowed") res.setHeader("Allow", allowed(fn.method));
    const title = outcome.error.type === "Forbidden" ? "Request refused" : "Not available";
    return send(res, outcome.error.status, "text/html; charset=utf-8", errorPage(outcome.error.status, title, outcome.error.message, to));
  }
  const stored: StoredOutcome = { fn: fn.name, to: withoutFragment(to), exp: Date.now() + OUTCOME_TTL_MS, ok: outcome.type === "ok" };
  if (sub.key !== undefined) stored.key = sub.key;
  if (outcome.type === "ok") {
    if (outcome.value !== undefined) stored.value = outcome.value;
  } else {
    stored.error = toEnvelope(outcome.error).error;
    const input = echoableInput(sub.input, fn.sensitive);
    if (input) stored.input = input;
  }
  const secure = origin.startsWith("https:");
  let sealed = sealOutcome(stored, env.secret);
  if (sealed === undefined && outcome.type === "ok") {
    // A large result need not travel: it is saved, and the page renders it from its own data.
    delete stored.value;
    sealed = sealOutcome(stored, env.secret);
  }
  if (sealed === undefined) {
    // Too large for a cookie (a 50 KB textarea): render the page now rather than lose input.
    return env.renderPage(req, res, stored, outcome.type === "error" ? outcome.error.status : 200);
  }
  seeOther(res, to, outcomeCookie(sealed, secure));
}

function refusedOutright(error: ServerFnError): boolean {
  return error.type === "Forbidden" || error.type === "MethodNotAllowed" || error.type === "NotFound";
}

function seeOther(res: ServerResponse, location: string, cookie?: string): void {
  // One writeHead with every header: node's fast path (see send()).
  const headers: Record<string, string | number> = { Location: location, "Content-Length": 0 };
  if (cookie) headers["Set-Cookie"] = cookie;
  res.writeHead(303, headers);
  res.end();
}

function allowed(method: string): string {
  return method === "GET" ? "GET, HEAD" : method;
}
