/**
 * Redirects from a handler: `ctx.redirect(url)` or `throw redirect(url)`. Either way the
 * pipeline turns it into a 303 (navigation), `HX-Redirect` (htmx) or a header the client
 * follows (enhanced). Only same-origin targets are honoured.
 */
export class Redirect {
  constructor(readonly location: string) {}
}

/** Stops the handler and redirects the caller. Typed `never` so code after it is unreachable. */
export function redirect(location: string): never {
  throw new Redirect(location);
}

/** A rooted path of plain ASCII with no dot segments: already what the URL parser would write. */
const PLAIN_PATH = /^\/(?![/.])(?:[A-Za-z0-9\-._~!$&'()*+,;=:@%?#]|\/(?!\.))*$/;

/**
 * A same-origin target as a path (and query and fragment): relative paths pass, absolute
 * URLs must have the given origin. Returns undefined for anything else (protocol-relative
 * `//evil`, `/\evil`, `javascript:`), so no caller can be sent off-site. The result is the
 * URL parser's serialization, so it is safe in a header (non-ASCII percent-encoded) and
 * never a path a browser would read as another host (`http://app//evil` → `//evil`).
 */
export function sameOriginPath(target: unknown, origin: string | undefined): string | undefined {
  if (typeof target !== "string" || target.length === 0 || target.length > 2048) return undefined;
  // Browsers treat "\" like "/" and ignore tabs/newlines inside URLs: "/\evil.com" is off-site.
  if (/[\\\s\x00-\x1f]/.test(target)) return undefined;
  if (PLAIN_PATH.test(target)) return target;
  // Rooted paths and absolute URLs only: "next" relative to which page is anyone's guess.
  if (target.startsWith("//") || !(target.startsWith("/") || (origin && /^[a-z][a-z0-9+.-]*:/i.test(target)))) return undefined;
  let url: URL;
  try {
    url = new URL(target, origin ?? "http://relative.invalid");
  } catch {
    return undefined;
  }
  if (origin && url.origin !== origin) return undefined;
  const path = url.pathname + url.search + url.hash;
  return path.startsWith("//") ? undefined : path;
}

/** A return target without its fragment: the browser never sends one, so the page's URL has none. */
export function withoutFragment(path: string): string {
  const hash = path.indexOf("#");
  return hash < 0 ? path : path.slice(0, hash);
}
