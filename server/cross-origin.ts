import type { CoreRequest } from "./core-request.js";
import { ServerFnError } from "../protocol/errors.js";

/**
 * Stateless cross-origin protection for state-changing requests, the algorithm of Go
 * 1.25's `http.CrossOriginProtection`: no token, just what browsers already send.
 *
 * 1. `Sec-Fetch-Site: same-origin | none` → allowed; any other value → allowed only from
 *    a trusted origin.
 * 2. No `Sec-Fetch-Site` (older browsers): an `Origin` header must equal the request's own
 *    origin (as the proxy-aware adapter computed it) or a trusted origin.
 * 3. Neither header: not a browser (curl, a webhook sender), so no CSRF risk → allowed.
 */
export function checkCrossOrigin(req: Pick<CoreRequest, "header">, ownOrigin: string, trusted: ReadonlySet<string>): void {
  const site = req.header("sec-fetch-site");
  const origin = req.header("origin");
  if (site !== undefined) {
    if (site === "same-origin" || site === "none") return;
    if (origin !== undefined && trusted.has(origin)) return;
    throw forbidden(origin, site);
  }
  if (origin === undefined) return;
  if (origin === ownOrigin || trusted.has(origin)) return;
  throw forbidden(origin, undefined);
}

function forbidden(origin: string | undefined, site: string | undefined): ServerFnError {
  const from = origin ? `from ${origin}` : `(Sec-Fetch-Site: ${site})`;
  return new ServerFnError(
    `Cross-origin request ${from} refused; submit from this site, or add the origin to isoform({ trustedOrigins })`,
    { type: "Forbidden" },
  );
}

/** Normalizes configured trusted origins ("https://a.example/" → "https://a.example"), refusing paths. */
export function normalizeOrigins(list: readonly string[] | undefined): Set<string> {
  const out = new Set<string>();
  for (const o of list ?? []) {
    let url: URL;
    try {
      url = new URL(o);
    } catch {
      throw new TypeError(`isoform: trusted origin ${JSON.stringify(o)} is not a URL; write it like "https://app.example.com"`);
    }
    if (url.pathname !== "/" || url.search || url.hash) {
      throw new TypeError(`isoform: trusted origin ${JSON.stringify(o)} has a path; write only scheme, host and port`);
    }
    out.add(url.origin);
  }
  return out;
}
