import type { IncomingMessage, ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";
import { Core, type IsoformOptions, type PageRenderer } from "./core.js";
import type { PageHelpers } from "./helpers.js";
import { sendSubmissionPage } from "./html.js";
import type { Outcome } from "./outcome.js";

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
  const renderPage: PageRenderer =
    options.renderPage ??
    ((req, res, outcome, status) => {
      const r = req as PageRequest;
      // Without a page to render, or when the return page is a function's own URL (it would
      // run again), still lose nothing: the error and every field typed, to copy back.
      if (!fallback || r[PAGE_OUTCOME] || core.match(outcome.to) !== undefined) return sendSubmissionPage(res, outcome, status);
      r.method = "GET";
      r.url = outcome.to;
      r[PAGE_OUTCOME] = outcome;
      res.statusCode = status;
      res.setHeader("Cache-Control", "no-store");
      fallback(req, res);
    });
  const originOf = (req: IncomingMessage): string => {
    const h = req.headers;
    if (options.trustProxy) {
      const proto = firstValue(h["x-forwarded-proto"]);
      const host = firstValue(h["x-forwarded-host"]);
      if (proto || host) return `${proto ?? "http"}://${host ?? h.host}`;
    }
    return `${(req.socket as TLSSocket).encrypted ? "https" : "http"}://${h.host}`;
  };

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? "/";
    const m = core.match(url);
    if (m === undefined) {
      if (fallback) return fallback(req, res);
      return core.notFound(req, res, url);
    }
    if (m.type === "function") {
      void core.serveFunction(req, res, m, { origin: originOf(req), url }, renderPage);
    } else if (m.type === "asset") {
      core.serveAsset(req, res, m.name);
    } else {
      core.notFound(req, res, url);
    }
  };
  const helpers = (req: IncomingMessage, res: ServerResponse): PageHelpers => {
    const url = req.url ?? "/";
    const outcome = (req as PageRequest)[PAGE_OUTCOME] ?? (req.method === "GET" ? core.takeOutcome(req, res, { origin: originOf(req), url }) : undefined);
    return core.helpers(url, outcome);
  };
  return Object.assign(handler, { core, helpers });
}

function firstValue(h: string | string[] | undefined): string | undefined {
  const v = Array.isArray(h) ? h[0] : h;
  return v?.split(",")[0]?.trim() || undefined;
}
