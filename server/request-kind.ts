import type { IncomingMessage } from "node:http";
import { ENHANCED_HEADER } from "../protocol/wire.js";

/**
 * Who is calling (docs/protocol.md §3): the client script or a typed stub (`enhanced`), htmx, a plain
 * form submitted by a browser (`navigation`), or any other program (`api`, answered like
 * `enhanced`). Only the response edge looks at this; the pipeline does not.
 */
export type RequestKind = "enhanced" | "htmx" | "navigation" | "api";

export function requestKind(req: IncomingMessage): RequestKind {
  const h = req.headers;
  if (h[ENHANCED_HEADER] !== undefined) return "enhanced";
  if (h["hx-request"] === "true") return "htmx";
  if (h["sec-fetch-mode"] === "navigate") return "navigation";
  // Browsers without Fetch Metadata still say they want HTML when navigating.
  const accept = h.accept;
  if (accept !== undefined && prefersHtml(accept)) return "navigation";
  return "api";
}

function prefersHtml(accept: string): boolean {
  const html = accept.indexOf("text/html");
  if (html < 0) return false;
  const json = accept.indexOf("application/json");
  return json < 0 || html < json;
}
