import type { IncomingMessage, ServerResponse } from "node:http";
import type { RequestBody } from "./request-body.js";

/**
 * A request as the core sees it, whatever server received it. Each adapter builds one —
 * `NodeRequest` (express, node:http, Fastify), `FetchRequest` (a web `Request`: Hono, Bun,
 * Deno) — and the core answers it with an `Answer` (core.ts) that the adapter writes out.
 */
export interface CoreRequest {
  /** HTTP method, upper-case */
  readonly method: string;
  /** path and query as the browser sent them, the mount path included */
  readonly url: string;
  /** where isoform is mounted: "" at the root, "/shop" under `app.use("/shop", …)` */
  readonly base: string;
  /** the request's own origin, e.g. `https://app.example` (behind a proxy, as the adapter trusts it) */
  readonly origin: string;
  /** a request header by lower-case name ("" never: undefined when absent) */
  header(name: string): string | undefined;
  readonly body: RequestBody;
  /** fires when the client goes away; created on first use */
  readonly signal: AbortSignal;
  /** the node:http request and response, under express, node:http and Fastify (for `ctx`) */
  readonly req?: IncomingMessage;
  readonly res?: ServerResponse;
  /** the web Request, under the fetch handler (for `ctx`) */
  readonly request?: Request;
}
