import { ServerFnError } from "../protocol/errors.js";
import { NETWORK } from "./to-error.js";
import { ENHANCED_HEADER, REDIRECT_HEADER } from "../protocol/wire.js";

/** What a server function answered: its value, or where the server sends the browser next. */
export type Reply = { value: unknown; redirect?: undefined } | { value?: undefined; redirect: string };

/**
 * Sends one request to a server function as an enhanced caller and decodes the answer.
 * Rejects with a ServerFnError rebuilt from the error envelope; a network failure or abort
 * rejects with the fetch error (see `toError`). The CBOR codec loads only when a
 * response is CBOR.
 */
export async function request(url: string, init: RequestInit & { signal?: AbortSignal }, send: typeof fetch = fetch): Promise<Reply> {
  const headers = new Headers(init.headers);
  headers.set(ENHANCED_HEADER, "1");
  if (!headers.has("accept")) headers.set("accept", "application/json");
  // `send` is fetch, or XMLHttpRequest made to look like it for upload progress (client/upload.ts).
  const res = await send(url, { ...init, headers }).catch((e: Error) => {
    throw e.name === "AbortError" ? e : new ServerFnError(NETWORK, { type: "Request" });
  });
  const to = res.headers.get(REDIRECT_HEADER) ?? (res.redirected ? res.url : null);
  // A plain 30x (a login wall, a proxy) was followed by fetch: the page goes there too.
  if (to !== null) return { redirect: to };
  let body: unknown;
  let unreadable = false;
  const bytes = new Uint8Array(await res.arrayBuffer());
  try {
    // An empty body is no value; JSON is read as UTF-8, as res.text() would.
    if (bytes.length) body = res.headers.get("content-type")?.includes("cbor") ? (await import("./cbor.js")).decode(bytes) : JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    // A proxy's HTML page or a truncated body, whatever its status: an unexpected response.
    unreadable = true;
  }
  if (!res.ok || unreadable) throw ServerFnError.fromEnvelope(body, res.status);
  return { value: body };
}
