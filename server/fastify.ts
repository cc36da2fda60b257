import type { FastifyPluginCallback } from "fastify";
import type { PageHelpers } from "./helpers.js";
import { createRequestHandler, type RequestHandlerOptions } from "./node-handler.js";

declare module "fastify" {
  interface FastifyRequest {
    /** the template helpers for the page this request renders (set by isoform's plugin) */
    isoform: PageHelpers;
  }
}

export type IsoformFastifyOptions = Omit<RequestHandlerOptions, "fallback">;

/**
 * isoform as a Fastify plugin: `await app.register(isoform, { secret })`. It answers server
 * functions and the browser script before Fastify parses a body (isoform reads its own, with
 * its own limits), and gives every other request its page helpers in `request.isoform`.
 * A refused submission too big for a cookie re-renders its page through Fastify's own
 * routes, with the outcome in `request.isoform`.
 */
export const isoform: FastifyPluginCallback<IsoformFastifyOptions> = (fastify, options, done) => {
  const handler = createRequestHandler({
    ...options,
    trustProxy: options.trustProxy === true,
    // Re-dispatch through Fastify's router: the page route renders the outcome.
    fallback: (req, res) => fastify.routing(req, res),
  });
  fastify.decorateRequest("isoform", null as unknown as PageHelpers);
  fastify.addHook("onRequest", (request, reply, next) => {
    if (handler.core.match(request.raw.url ?? "/") !== undefined) {
      // isoform answers on the raw response; Fastify must not touch it afterwards.
      reply.hijack();
      handler(request.raw, reply.raw);
      return;
    }
    request.isoform = handler.helpers(request.raw, reply.raw);
    next();
  });
  done();
};

// Not encapsulated (what fastify-plugin does): the hook applies to every route of the app.
Object.assign(isoform, { [Symbol.for("skip-override")]: true, [Symbol.for("fastify.display-name")]: "isoform" });
