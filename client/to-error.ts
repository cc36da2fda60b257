import { ServerFnError } from "../protocol/errors.js";

/** Why a request never got an answer: canceled on purpose, or the network failed. */
export const CANCELED = "Canceled";
export const NETWORK = "Network error: check your connection and try again.";

/**
 * Anything a call rejects with, as a ServerFnError, keeping its message: an abort is the
 * `Request` error Canceled, a TypeError (what fetch rejects with) a `Request` error, anything
 * else a `ServerError`. `request()` words its own network failures for people (NETWORK).
 */
export function toError(e: unknown): ServerFnError {
  if (e instanceof ServerFnError) return e;
  const name = (e as Error | undefined)?.name;
  if (name === "AbortError") return new ServerFnError(CANCELED, { type: "Request" });
  return new ServerFnError(String((e as Error | undefined)?.message ?? e), { type: name === "TypeError" ? "Request" : "ServerError" });
}

export function isCanceled(e: ServerFnError | undefined): boolean {
  return e?.type === "Request" && e.message === CANCELED;
}
