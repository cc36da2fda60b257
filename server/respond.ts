import { fillText } from "../protocol/fill-text.js";
import { toEnvelope, type ServerFnError } from "../protocol/errors.js";
import { REDIRECT_HEADER } from "../protocol/wire.js";
import { CODECS } from "./codecs/all.js";
import type { PageHelpers } from "./helpers.js";
import { errorPage } from "./html.js";
import { echoableInput, type Outcome } from "./outcome.js";
import { OUTCOME_TTL_MS, outcomeCookie, sealOutcome } from "./outcome-cookie.js";
import { response, type Answer, type AnswerHeaders } from "./answer.js";
import type { CoreRequest } from "./core-request.js";
import type { FunctionRun } from "./pipeline.js";
import { sameOriginPath, withoutFragment } from "./redirect.js";
import { requestKind } from "./request-kind.js";

export interface RespondEnv {
  secret: Buffer;
  /** Template helpers for the page an htmx request came from, for a function's HTML view. */
  pageHelpers: (url: string, base: string) => PageHelpers;
}

/**
 * The response edge: one function run, answered for whoever asked (docs/protocol.md §3).
 * The one place a result is rendered for a caller: enhanced and API callers get data or an
 * error envelope; htmx gets HTML or `HX-Redirect`; a browser without JavaScript gets a 303
 * back to its page (Post/Redirect/Get).
 */
export function respond(request: CoreRequest, run: FunctionRun, env: RespondEnv): Answer {
  const kind = requestKind(request);
  if (kind === "navigation") return respondNavigation(request, run, env);
  const { result, fn } = run;
  const codec = CODECS[fn.encoding];
  if (result.type === "redirect") {
    return response(200, codec.responseType, codec.encode(null), { [kind === "htmx" ? "HX-Redirect" : REDIRECT_HEADER]: result.location });
  }
  if (result.type === "error") {
    // A refusal that names a page (a guard's login page): htmx goes there, as for a redirect.
    const away = kind === "htmx" ? sameOriginPath(result.error.location, request.origin) : undefined;
    if (away !== undefined) return response(200, codec.responseType, codec.encode(null), { "HX-Redirect": away });
    return errorAnswer(result.error, fn.encoding === "cbor" || fn.encoding === "get-cbor", fn.method);
  }
  if (kind === "htmx" && fn.view) {
    const page = sameOriginPath(request.header("hx-current-url"), request.origin) ?? "/";
    return response(200, HTML, fn.view(result.value, env.pageHelpers(page, request.base), request.req));
  }
  return response(200, codec.responseType, codec.encode(result.value));
}

const HTML = "text/html; charset=utf-8";

/** An error envelope (JSON, or CBOR for CBOR functions), with the headers its type calls for. */
export function errorAnswer(error: ServerFnError, cbor = false, method?: string): Answer {
  const codec = cbor ? CODECS.cbor : CODECS.json;
  const headers: AnswerHeaders = {};
  if (error.type === "MethodNotAllowed" && method) headers.Allow = allowed(method);
  // A client too slow to send its body is not kept: the rest of that body is never read.
  if (error.limit === "bodyTimeout") headers.Connection = "close";
  return response(error.status, codec.responseType, codec.encode(toEnvelope(error)), headers);
}

/** A short HTML page for a browser that navigated to a request refused outright. */
export function errorPageAnswer(status: number, title: string, message: string, back?: string, headers?: AnswerHeaders): Answer {
  return response(status, HTML, errorPage(status, title, message, back), headers);
}

function respondNavigation(request: CoreRequest, run: FunctionRun, env: RespondEnv): Answer {
  const { result, fn } = run;
  const { origin } = request;
  const to = sameOriginPath(run.returnTo, origin) ?? sameOriginPath(request.header("referer"), origin) ?? "/";
  if (result.type === "redirect") return seeOther(result.location);
  if (result.type === "error" && result.error.location !== undefined) {
    // A refusal that names a page (a guard's login page): a browser without JavaScript goes there.
    const away = sameOriginPath(result.error.location, origin);
    if (away !== undefined) return seeOther(away);
  }
  if (result.type === "error" && refusedOutright(result.error)) {
    // Nothing was accepted, so there is no form state to carry back: say what happened.
    const headers: AnswerHeaders = result.error.type === "MethodNotAllowed" ? { Allow: allowed(fn.method) } : {};
    const title = result.error.type === "Forbidden" ? "Request refused" : "Not available";
    return errorPageAnswer(result.error.status, title, result.error.message, to, headers);
  }
  const stored: Outcome = { fn: fn.name, to: withoutFragment(to), exp: Date.now() + OUTCOME_TTL_MS, ok: result.type === "ok" };
  if (run.key !== undefined) stored.key = run.key;
  if (result.type === "ok") {
    if (result.value !== undefined) stored.value = result.value;
    // Filled now, while the input is at hand: a success keeps no input.
    if (run.success) stored.notice = fillText(run.success, result.value, run.input);
  } else {
    stored.error = toEnvelope(result.error).error;
    const input = echoableInput(run.input, fn.sensitive);
    if (input) stored.input = input;
  }
  let sealed = sealOutcome(stored, env.secret);
  if (sealed === undefined && result.type === "ok") {
    // A large result need not travel: it is saved, and the page renders it from its own data.
    delete stored.value;
    sealed = sealOutcome(stored, env.secret);
  }
  if (sealed === undefined) {
    // Too large for a cookie (a 50 KB textarea): render the page now rather than lose input.
    return { type: "page", status: result.type === "error" ? result.error.status : 200, outcome: stored };
  }
  return seeOther(to, outcomeCookie(sealed, origin.startsWith("https:")));
}

function refusedOutright(error: ServerFnError): boolean {
  return error.type === "Forbidden" || error.type === "MethodNotAllowed" || error.type === "NotFound";
}

function seeOther(location: string, cookie?: string): Answer {
  const headers: AnswerHeaders = { Location: location, "Content-Length": 0 };
  if (cookie) headers["Set-Cookie"] = cookie;
  return { type: "response", status: 303, headers, body: "" };
}

function allowed(method: string): string {
  return method === "GET" ? "GET, HEAD" : method;
}
