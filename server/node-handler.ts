import type { IncomingMessage, ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";
import { Core, type IsoformOptions, type PageRenderer } from "./core.js";
import type { PageHelpers } from "./helpers.js";
import { sendSubmissionPage } from "./html.js";

export interface RequestHandlerOptions extends IsoformOptions {
  /** trust `X-Forwarded-Proto` / `X-Forwarded-Host` for the request's own origin (behind a proxy) */
  trustProxy?: boolean;
  /** renders the return page with an outcome that did not fit a cookie (default: a plain page keeping the input) */
  renderPage?: PageRenderer;
  /** requests that are not for isoform (default: 404) */
  fallback?: (req: IncomingMessage, res: ServerResponse) => void;
}

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
  // Without a page renderer, still lose nothing: the error and every field typed, to copy back.
  const renderPage = options.renderPage ?? ((_req, res, outcome, status) => sendSubmissionPage(res, outcome, status));
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
      if (options.fallback) return options.fallback(req, res);
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
    const outcome = req.method === "GET" ? core.takeOutcome(req, res, { origin: originOf(req), url }) : undefined;
    return core.helpers(url, outcome);
  };
  return Object.assign(handler, { core, helpers });
}

function firstValue(h: string | string[] | undefined): string | undefined {
  const v = Array.isArray(h) ? h[0] : h;
  return v?.split(",")[0]?.trim() || undefined;
}
