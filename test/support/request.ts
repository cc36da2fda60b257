import { request as httpRequest, type IncomingHttpHeaders } from "node:http";

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
  json(): unknown;
}

/**
 * One HTTP request with exactly the headers given. `fetch` cannot do this: it refuses to
 * send `Sec-Fetch-*` headers and sets its own, so browser-like requests go through node:http.
 */
export function request(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string | Uint8Array } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: init.method ?? "GET", headers: init.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const body = Buffer.concat(chunks);
        const text = body.toString("utf8");
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text, json: () => JSON.parse(text) });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    if (init.body !== undefined) req.end(init.body);
    else req.end();
  });
}

/** A url-encoded form post, as a browser would send it. */
export function formPost(url: string, body: string, headers: Record<string, string> = {}) {
  return request(url, {
    method: "POST",
    body,
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
  });
}

/** The headers Chromium sends when a page on `origin` submits a plain form (navigation). */
export function navigationHeaders(site: "same-origin" | "cross-site" = "same-origin", origin?: string): Record<string, string> {
  return {
    accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "sec-fetch-mode": "navigate",
    "sec-fetch-site": site,
    "sec-fetch-dest": "document",
    ...(origin ? { origin } : {}),
  };
}
