import type { IncomingMessage, ServerResponse } from "node:http";
import { Core, type IsoformOptions } from "./core.js";
import type { PageHelpers } from "./helpers.js";
import { submissionPage } from "./html.js";
import { NodeRequest, nodeOrigin, setHeaders, writeAnswer } from "./node-request.js";
import type { Outcome } from "./outcome.js";

/** Renders a return page with an outcome too big for a cookie (see `renderPage`). */
export type PageRenderer = (req: IncomingMessage, res: ServerResponse, outcome: Outcome, status: number) => void;

export interface RequestHandlerOptions extends IsoformOptions {
  /** trust `X-Forwarded-Proto` / `X-Forwarded-Host` for the request's own origin (behind a proxy) */
  trustProxy?: boolean;
  /**
   * requests that are not for isoform: your pages (default: 404). Also renders a return page
   * whose outcome did not fit a cookie: called again as a GET of that page, with
   * `res.statusCode` already set (422 for a validation error: write it, not 200) and
   * `helpers(req, res)` holding the outcome
   */
  fallback?: (req: IncomingMessage, res: ServerResponse) => void;
  /**
   * renders the return page with an outcome that did not fit a cookie, for a server whose
   * pages are not all behind `fallback` (default: `fallback` as above, else a plain page
   * with the error and every field typed)
   */
  renderPage?: PageRenderer;
}

/** Set on a request re-dispatched to `fallback` to render its return page with an outcome. */
const PAGE_OUTCOME = Symbol("isoform.pageOutcome");
type PageRequest = IncomingMessage & { [PAGE_OUTCOME]?: Outcome };

export interface IsoformRequestHandler {
  (req: IncomingMessage, res: ServerResponse): void;
  readonly core: Core;
  /** the template helpers for a page this server renders itself (reads and clears the outcome cookie) */
  helpers(req: IncomingMessage, res: ServerResponse): PageHelpers;
}

/**
 * A plain `node:http` request handler over the same core as `isoform()`, for servers
 * without express: `http.createServer(createRequestHandler())`.
 */
export function createRequestHandler(options: RequestHandlerOptions = {}): IsoformRequestHandler {
  const core = new Core(options);
  const { fallback } = options;
  const trustProxy = options.trustProxy === true;
  const renderPage: PageRenderer =
    options.renderPage ??
    ((req, res, outcome, status) => {
      const r = req as PageRequest;
      // Without a page to render, or when the return page is a function's own URL (it would
      // run again), still lose nothing: the error and every field typed, to copy back.
      if (!fallback || r[PAGE_OUTCOME] || core.match(outcome.to) !== undefined) return writeAnswer(res, submissionPage(outcome, status));
      r.method = "GET";
      r.url = outcome.to;
      r[PAGE_OUTCOME] = outcome;
      res.statusCode = status;
      res.setHeader("Cache-Control", "no-store");
      fallback(req, res);
    });

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? "/";
    const m = core.match(url);
    if (m === undefined && fallback) return fallback(req, res);
    const request = new NodeRequest(req, res, nodeOrigin(req, trustProxy), url);
    // Not isoform's and no fallback: the core's 404 (as for an unknown function).
    void core.handle(request, m ?? { type: "unknown-function" }).then((answer) => {
      if (answer?.type === "response") writeAnswer(res, answer);
      else if (answer?.type === "page") renderPage(req, res, answer.outcome, answer.status);
    });
  };
  const helpers = (req: IncomingMessage, res: ServerResponse): PageHelpers => {
    const url = req.url ?? "/";
    const page = core.page(new NodeRequest(req, res, nodeOrigin(req, trustProxy), url), (req as PageRequest)[PAGE_OUTCOME]);
    setHeaders(res, page.headers);
    return page.helpers;
  };
  return Object.assign(handler, { core, helpers });
}
