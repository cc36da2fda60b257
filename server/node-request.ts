import type { IncomingMessage, ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";
import type { ResponseAnswer } from "./answer.js";
import type { CoreRequest } from "./core-request.js";
import { NodeBody } from "./node-body.js";

/**
 * A node:http request as the core sees it (express, node:http, Fastify). A class with lazy
 * parts, so a request allocates one small object: this runs for every request.
 */
export class NodeRequest implements CoreRequest {
  private controller: AbortController | undefined;
  private bodyReader: NodeBody | undefined;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly origin: string,
    readonly url: string,
    readonly base: string = "",
  ) {}

  get method(): string {
    return this.req.method ?? "GET";
  }

  header(name: string): string | undefined {
    const v = this.req.headers[name];
    return Array.isArray(v) ? v.join(", ") : v;
  }

  get body(): NodeBody {
    return (this.bodyReader ??= new NodeBody(this.req));
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      const controller = (this.controller = new AbortController());
      const res = this.res;
      if (res.closed && !res.writableFinished) controller.abort();
      else res.once("close", () => res.writableFinished || controller.abort());
    }
    return this.controller.signal;
  }
}

/** Writes a response Answer: one writeHead with every header is node's fast path (bench/README.md). */
export function writeAnswer(res: ServerResponse, answer: ResponseAnswer): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(answer.status, answer.headers);
  res.end(answer.body);
}

/** Adds headers to a response still being prepared (a page's cleared outcome cookie). */
export function setHeaders(res: ServerResponse, headers: Record<string, string | number | string[]>): void {
  for (const name in headers) {
    const value = headers[name]!;
    const prev = name === "Set-Cookie" ? res.getHeader(name) : undefined;
    res.setHeader(name, prev === undefined ? value : ([] as (string | number)[]).concat(prev as string, value as string).map(String));
  }
}

/** A node:http request's own origin: the socket's scheme and the Host header, or trusted `X-Forwarded-*`. */
export function nodeOrigin(req: IncomingMessage, trustProxy: boolean): string {
  const h = req.headers;
  if (trustProxy) {
    const proto = firstValue(h["x-forwarded-proto"]);
    const host = firstValue(h["x-forwarded-host"]);
    if (proto || host) return `${proto ?? "http"}://${host ?? h.host}`;
  }
  return `${(req.socket as TLSSocket).encrypted ? "https" : "http"}://${h.host}`;
}

function firstValue(h: string | string[] | undefined): string | undefined {
  const v = Array.isArray(h) ? h[0] : h;
  return v?.split(",")[0]?.trim() || undefined;
}
