import type { IncomingMessage, ServerResponse } from "node:http";
import type { Request, Response } from "express";
import { Core, type IsoformOptions } from "./core.js";
import type { PageHelpers } from "./helpers.js";
import { submissionPage } from "./html.js";
import { NodeRequest, setHeaders, writeAnswer } from "./node-request.js";
import type { Outcome } from "./outcome.js";

/** Set on a request re-dispatched to render its return page (the outcome did not fit a cookie). */
const PAGE_OUTCOME = Symbol("isoform.pageOutcome");

type IsoformRequest = Request & { [PAGE_OUTCOME]?: Outcome };

/**
 * The middleware, typed with Node's own request and response so these types need neither
 * express's nor its version: express 4 and 5 both accept it in `app.use`.
 */
export interface IsoformMiddleware {
  (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void): void;
  readonly core: Core;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    /** `res.locals.isoform` in an express app: the template helpers for this page. */
    interface Locals {
      isoform: PageHelpers;
    }
  }
}

/**
 * The express integration: mount it once at the app's root, before your pages.
 *
 *     app.use(isoform({ secret: process.env.ISOFORM_SECRET }));
 *
 * It serves every registered server function at its path, the browser script under
 * `/_isoform/`, and gives every other request's templates their helpers in
 * `res.locals.isoform`. The request's own origin (for cross-origin protection and
 * same-origin checks) honours express's `trust proxy` setting. Mounted under a path, it
 * serves everything under that path.
 */
export function isoform(options: IsoformOptions = {}): IsoformMiddleware {
  const core = new Core(options);

  /**
   * Renders the return page with an outcome too big for a cookie: re-dispatched as a GET of
   * that page through the app, so the app's own route renders it with the outcome in hand.
   */
  const renderPage = (req: IsoformRequest, res: Response, outcome: Outcome, status: number): void => {
    // The return page must be a page: a server function's own URL (a GET function's form
    // posted back to itself) would run the function again, fail again, and loop.
    if (req[PAGE_OUTCOME] || core.match(outcome.to, req.baseUrl) !== undefined) return writeAnswer(res, submissionPage(outcome, status));
    // The body is consumed; no body parser may try to read it again.
    req.method = "GET";
    req.url = req.originalUrl = outcome.to;
    // From the top: express's routers add to the baseUrl they find on the request.
    req.baseUrl = "";
    req[PAGE_OUTCOME] = outcome;
    delete req.headers["content-length"];
    delete req.headers["content-type"];
    delete req.headers["transfer-encoding"];
    res.statusCode = status;
    res.setHeader("Cache-Control", "no-store");
    // `app.handle` is express's own entry point for a request (public in practice, untyped).
    // The top-level app, not a sub-app isoform may be mounted in: `outcome.to` is a full path.
    type App = { handle(req: Request, res: Response, done: (err?: unknown) => void): void; parent?: App };
    let app = req.app as unknown as App;
    while (app.parent) app = app.parent;
    app.handle(req, res, (err?: unknown) => {
      if (res.headersSent) return;
      if (err) core.env.log("(page render)", err);
      writeAnswer(res, submissionPage(outcome, status));
    });
  };

  const middleware = (incoming: IncomingMessage, outgoing: ServerResponse, next: (err?: unknown) => void): void => {
    // Mounted in an express app, these are express's own request and response.
    const req = incoming as IsoformRequest;
    const res = outgoing as Response;
    const url = req.originalUrl;
    // Mounted under a path (`app.use("/shop", isoform())`, or in a sub-app mounted there),
    // functions and the script are served under it and the page helpers write it.
    const base = req.baseUrl;
    const m = core.match(url, base);
    const request = new NodeRequest(req, res, `${req.protocol}://${hostOf(req)}`, url, base);
    if (m === undefined) {
      const page = core.page(request, req[PAGE_OUTCOME]);
      setHeaders(res, page.headers);
      res.locals.isoform = page.helpers;
      return next();
    }
    void core.handle(request, m).then((answer) => {
      if (answer?.type === "response") writeAnswer(res, answer);
      else if (answer?.type === "page") renderPage(req, res, answer.outcome, answer.status);
    });
  };
  return Object.assign(middleware, { core });
}

/**
 * The request's host with its port, honouring `trust proxy` for `X-Forwarded-Host`, in
 * express 4 and 5 alike: express 4's `req.host` drops the port, 5's keeps it.
 */
function hostOf(req: Request): string {
  const trust = req.app.get("trust proxy fn") as ((addr: string | undefined, i: number) => boolean) | undefined;
  let host = req.get("X-Forwarded-Host");
  if (!host || !trust?.(req.socket.remoteAddress, 0)) host = req.get("Host") ?? "";
  const comma = host.indexOf(",");
  return comma < 0 ? host : host.slice(0, comma).trimEnd();
}
