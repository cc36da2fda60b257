import type { AnswerHeaders, ResponseAnswer } from "./answer.js";
import { Core, type IsoformOptions } from "./core.js";
import { FetchRequest } from "./fetch-request.js";
import type { PageHelpers } from "./helpers.js";
import { submissionPage } from "./html.js";

export interface FetchHandlerOptions extends IsoformOptions {
  /** trust `X-Forwarded-Proto` / `X-Forwarded-Host` for the request's own origin (behind a proxy) */
  trustProxy?: boolean;
  /** where the handler is mounted, e.g. "/shop" (default: the root) */
  base?: string;
  /**
   * Renders the return page with the outcome of a refused submission too big for a cookie
   * (a 50 KB textarea), in the same response: `page` holds the outcome, `status` is the
   * error's (422). Default: a plain page with the error and every field typed, to copy back.
   */
  renderPage?: (request: Request, page: PageHelpers, status: number) => Response | Promise<Response>;
}

/** The helpers for a page your router renders, and the headers to add to its response. */
export interface FetchPage {
  helpers: PageHelpers;
  /** `Set-Cookie` (clearing the consumed outcome cookie) and `Cache-Control`: add them to your response */
  headers: Headers;
}

export interface FetchHandler {
  /** Answers isoform's requests; undefined for any other, for your router to handle. */
  (request: Request): Promise<Response | undefined>;
  readonly core: Core;
  /** The template helpers for a page your router renders (reads the outcome cookie of the last submission). */
  helpers(request: Request): FetchPage;
}

/**
 * isoform as a web-standard handler, `(request: Request) => Promise<Response | undefined>`,
 * for any server that speaks fetch: Bun.serve, Deno.serve, Hono, Cloudflare-style workers,
 * Node with a fetch adapter. The same core, limits, cross-origin rule and outcome cookie as
 * `isoform()` for express.
 *
 *     const isoform = createFetchHandler({ secret: process.env.ISOFORM_SECRET });
 *     Bun.serve({ fetch: async (req) => (await isoform(req)) ?? myPages(req, isoform.helpers(req)) });
 */
export function createFetchHandler(options: FetchHandlerOptions = {}): FetchHandler {
  const core = new Core(options);
  const trustProxy = options.trustProxy === true;
  const base = options.base ?? "";
  const handler = async (request: Request): Promise<Response | undefined> => {
    const core_ = new FetchRequest(request, trustProxy, base);
    const answer = await core.handle(core_);
    if (answer === undefined) return undefined;
    if (answer.type === "response") return toResponse(answer);
    // The return page must be a page: a server function's own URL (a GET function's form
    // posted back to itself) would run the function again, fail again, and loop.
    if (options.renderPage && core.match(answer.outcome.to, base) === undefined) {
      try {
        const page = core.page(core_, answer.outcome).helpers;
        const res = await options.renderPage(request, page, answer.status);
        res.headers.set("Cache-Control", "no-store");
        return res;
      } catch (err) {
        core.env.log("(page render)", err);
      }
    }
    return toResponse(submissionPage(answer.outcome, answer.status));
  };
  const helpers = (request: Request): FetchPage => {
    const page = core.page(new FetchRequest(request, trustProxy, base));
    return { helpers: page.helpers, headers: toHeaders(page.headers) };
  };
  return Object.assign(handler, { core, helpers });
}

/** An Answer as a web Response. */
export function toResponse(answer: ResponseAnswer): Response {
  const headers = toHeaders(answer.headers);
  // A web Response computes its own length; a 303 or a HEAD answer has no body.
  headers.delete("Content-Length");
  const body = answer.body === "" || answer.status === 303 ? null : answer.body;
  return new Response(body as ConstructorParameters<typeof Response>[0], { status: answer.status, headers });
}

function toHeaders(from: AnswerHeaders): Headers {
  const headers = new Headers();
  for (const name in from) {
    const value = from[name]!;
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else headers.set(name, String(value));
  }
  return headers;
}
