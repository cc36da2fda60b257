import type { CoreRequest } from "./core-request.js";
import { ENHANCED_HEADER } from "../protocol/wire.js";

/**
 * Who is calling (docs/protocol.md §3): the client script or a typed stub (`enhanced`), htmx, a plain
 * form submitted by a browser (`navigation`), or any other program (`api`, answered like
 * `enhanced`). Only the response edge looks at this; the pipeline does not.
 */
export type RequestKind = "enhanced" | "htmx" | "navigation" | "api";

export function requestKind(req: Pick<CoreRequest, "header">): RequestKind {
  if (req.header(ENHANCED_HEADER) !== undefined) return "enhanced";
  if (req.header("hx-request") === "true") return "htmx";
  if (req.header("sec-fetch-mode") === "navigate") return "navigation";
  // Browsers without Fetch Metadata still say they want HTML when navigating.
  const accept = req.header("accept");
  if (accept !== undefined && prefersHtml(accept)) return "navigation";
  return "api";
}

function prefersHtml(accept: string): boolean {
  const html = accept.indexOf("text/html");
  if (html < 0) return false;
  const json = accept.indexOf("application/json");
  return json < 0 || html < json;
}
