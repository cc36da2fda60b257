import type { MiddlewareHandler } from "hono";
import { createFetchHandler, type FetchHandler, type FetchHandlerOptions } from "./fetch.js";
import type { PageHelpers } from "./helpers.js";

/** The variables the middleware sets: `new Hono<{ Variables: IsoformVariables }>()`. */
export interface IsoformVariables {
  /** the template helpers for the page this request renders */
  isoform: PageHelpers;
}

export interface IsoformHonoMiddleware extends MiddlewareHandler<{ Variables: IsoformVariables }> {
  readonly handler: FetchHandler;
}

/**
 * isoform as Hono middleware: `app.use(isoform({ secret }))`, before your routes. It answers
 * server functions and the browser script, and gives every other request its page helpers
 * in `c.get("isoform")`, adding the outcome cookie's `Set-Cookie` to the page's response.
 */
export function isoform(options: FetchHandlerOptions = {}): IsoformHonoMiddleware {
  const handler = createFetchHandler(options);
  const middleware: MiddlewareHandler<{ Variables: IsoformVariables }> = async (c, next) => {
    const answered = await handler(c.req.raw);
    if (answered) return answered;
    const page = handler.helpers(c.req.raw);
    c.set("isoform", page.helpers);
    await next();
    const { headers } = page;
    try {
      headers.forEach((value, name) => c.res.headers.append(name, value));
    } catch {
      // A response with immutable headers (Response.redirect): copy it, with ours added.
      const res = new Response(c.res.body, c.res);
      headers.forEach((value, name) => res.headers.append(name, value));
      c.res = res;
    }
  };
  return Object.assign(middleware, { handler });
}
