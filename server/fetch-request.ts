import type { CoreRequest } from "./core-request.js";
import { WebBody } from "./web-body.js";

/** A web `Request` as the core sees it (the fetch handler: Hono, Bun, Deno, any fetch server). */
export class FetchRequest implements CoreRequest {
  private bodyReader: WebBody | undefined;
  readonly url: string;
  readonly origin: string;

  constructor(
    readonly request: Request,
    trustProxy: boolean,
    readonly base: string = "",
  ) {
    const url = new URL(request.url);
    this.url = url.pathname + url.search;
    this.origin = trustProxy ? (forwardedOrigin(request.headers, url.protocol) ?? url.origin) : url.origin;
  }

  get method(): string {
    return this.request.method;
  }

  header(name: string): string | undefined {
    return this.request.headers.get(name) ?? undefined;
  }

  get body(): WebBody {
    return (this.bodyReader ??= new WebBody(this.request));
  }

  get signal(): AbortSignal {
    return this.request.signal;
  }
}

function forwardedOrigin(headers: Headers, protocol: string): string | undefined {
  const proto = first(headers.get("x-forwarded-proto"));
  const host = first(headers.get("x-forwarded-host"));
  if (!proto && !host) return undefined;
  return `${proto ?? protocol.replace(/:$/, "")}://${host ?? headers.get("host")}`;
}

function first(value: string | null): string | undefined {
  return value?.split(",")[0]?.trim() || undefined;
}
