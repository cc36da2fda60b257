import { ServerFnError } from "./errors.js";
import { ENHANCED_HEADER, REDIRECT_HEADER } from "./wire.js";

/** What a server function answered: its value, or where the server sends the browser next. */
export type Reply = { value: unknown; redirect?: undefined } | { value?: undefined; redirect: string };

/**
 * Sends one request to a server function as an enhanced caller and decodes the answer.
 * Rejects with a ServerFnError rebuilt from the error envelope; a network failure or abort
 * rejects with the fetch error (see `toError`). The CBOR codec loads only when a
 * response is CBOR.
 */
export async function request(url: string, init: RequestInit & { signal?: AbortSignal }): Promise<Reply> {
  const headers = new Headers(init.headers);
  headers.set(ENHANCED_HEADER, "1");
  if (!headers.has("accept")) headers.set("accept", "application/json");
  const res = await fetch(url, { ...init, headers });
  const to = res.headers.get(REDIRECT_HEADER);
  if (to !== null) return { redirect: to };
  const type = res.headers.get("content-type") ?? "";
  let body: unknown;
  if (type.includes("cbor")) {
    const bytes = new Uint8Array(await res.arrayBuffer());
    body = bytes.length ? (await import("./cbor.js")).decode(bytes) : undefined;
  } else {
    const text = await res.text();
    body = undefined;
    if (type.includes("json") && text) {
      try {
        body = JSON.parse(text);
      } catch {
        // A proxy's error page or a truncated body: reported below as an unexpected response.
      }
    }
  }
  if (!res.ok) throw ServerFnError.fromEnvelope(body, res.status);
  return { value: body };
}
