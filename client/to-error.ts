import { ServerFnError } from "./errors.js";

/** Why a request never got an answer: canceled on purpose, or the network failed. */
export const CANCELED = "Canceled";
export const NETWORK = "Network error: check your connection and try again.";

/** Anything a call rejects with, as a ServerFnError: aborts and network failures become `Request` errors. */
export function toError(e: unknown): ServerFnError {
  if (e instanceof ServerFnError) return e;
  const aborted = (e as Error | undefined)?.name === "AbortError";
  return new ServerFnError(aborted ? CANCELED : NETWORK, { type: "Request" });
}

export function isCanceled(e: ServerFnError | undefined): boolean {
  return e?.type === "Request" && e.message === CANCELED;
}
