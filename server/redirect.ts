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

/**
 * A same-origin target as a path: relative paths pass, absolute URLs must have the given
 * origin. Returns undefined for anything else (protocol-relative `//evil`, `/\evil`,
 * `javascript:`), so no caller can be sent off-site.
 */
export function sameOriginPath(target: unknown, origin: string | undefined): string | undefined {
  if (typeof target !== "string" || target.length === 0 || target.length > 2048) return undefined;
  // Browsers treat "\" like "/" and ignore tabs/newlines inside URLs: "/\evil.com" is off-site.
  if (/[\\\s\x00-\x1f]/.test(target)) return undefined;
  if (target.startsWith("/")) return target.startsWith("//") ? undefined : target;
  if (!origin) return undefined;
  try {
    const url = new URL(target);
    if (url.origin !== origin) return undefined;
    return url.pathname + url.search + url.hash;
  } catch {
    return undefined;
  }
}
