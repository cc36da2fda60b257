import { createHmac, timingSafeEqual } from "node:crypto";
import type { Outcome } from "./outcome.js";

/**
 * The outcome carrier for Post/Redirect/Get: a signed, short-lived, HttpOnly,
 * SameSite=Lax cookie. Stateless, so any number of instances sharing the secret read each
 * other's outcomes; a tampered, expired or foreign cookie is ignored.
 */
export const COOKIE_NAME = "isoform_outcome";
/** Long enough for the redirect and the page load, short enough that a stale result never shows. */
export const OUTCOME_TTL_MS = 60_000;
/**
 * Browsers keep at most about 4096 bytes of name and value per cookie; above this the
 * outcome does not travel by cookie and the page is rendered in the same response instead.
 */
export const MAX_COOKIE_VALUE = 3900;

function sign(payload: string, secret: Buffer): string {
  return createHmac("sha256", secret).update(payload).digest("base64url");
}

/** Seals an outcome into a cookie value, or returns undefined when it would not fit. */
export function sealOutcome(outcome: Outcome, secret: Buffer): string | undefined {
  const payload = Buffer.from(toJson(outcome)).toString("base64url");
  if (payload.length + 44 > MAX_COOKIE_VALUE) return undefined;
  return `${payload}.${sign(payload, secret)}`;
}

/**
 * JSON of an outcome. CBOR input can hold BigInts, which JSON.stringify refuses: they are
 * written as decimal strings, which is what a form field would re-fill with anyway. The
 * replacer only runs when needed, so the common path pays nothing for it.
 */
function toJson(outcome: Outcome): string {
  try {
    return JSON.stringify(outcome);
  } catch (err) {
    if (!(err instanceof TypeError)) throw err;
    return JSON.stringify(outcome, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
  }
}

/** Opens a cookie value: undefined unless the signature matches and it has not expired. */
export function openOutcome(value: string, secret: Buffer, now = Date.now()): Outcome | undefined {
  const dot = value.lastIndexOf(".");
  if (dot <= 0) return undefined;
  const payload = value.slice(0, dot);
  const given = Buffer.from(value.slice(dot + 1));
  const expected = Buffer.from(sign(payload, secret));
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  let outcome: Outcome;
  try {
    outcome = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
  if (!outcome || typeof outcome !== "object" || typeof outcome.exp !== "number" || outcome.exp < now) return undefined;
  if (typeof outcome.fn !== "string" || typeof outcome.to !== "string") return undefined;
  return outcome;
}

export function outcomeCookie(value: string, secure: boolean): string {
  return `${COOKIE_NAME}=${value}; Path=/; Max-Age=${OUTCOME_TTL_MS / 1000}; HttpOnly; SameSite=Lax${secure ? "; Secure" : ""}`;
}

export function clearOutcomeCookie(secure: boolean): string {
  return `${COOKIE_NAME}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax${secure ? "; Secure" : ""}`;
}

/**
 * Every value of our cookie in a Cookie header, in order. There can be several (one set
 * for a longer path or by a sibling subdomain, or a junk one planted by a script), so the
 * caller takes the first that verifies rather than the first that appears.
 */
export function readOutcomeCookies(header: string | undefined): string[] {
  if (!header || !header.includes(COOKIE_NAME)) return [];
  const found: string[] = [];
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0 || part.slice(0, eq).trim() !== COOKIE_NAME) continue;
    const value = part.slice(eq + 1).trim();
    if (value) found.push(value);
  }
  return found;
}
