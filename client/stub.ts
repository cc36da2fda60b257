import type { InputOf, OutputOf, ServerFnLike, ServerFnMeta } from "../protocol/types.js";
import { CONTENT_TYPE } from "../protocol/wire.js";
import { toFormData, toSearchParams } from "./query.js";
import { toError } from "./to-error.js";
import { request, type Reply } from "./request.js";

/** Options of one call through a stub. */
export interface CallOptions {
  signal?: AbortSignal;
}

/**
 * A server function as the browser calls it: typed from the server's value through
 * `import type`, carrying only its metadata at run time.
 */
export interface Stub<In, Out> extends ServerFnMeta {
  (input: In, options?: CallOptions): Promise<Out>;
  readonly __input?: In;
  readonly __output?: Out;
}

export interface StubOptions {
  /** where a redirect from the server goes (default: `location.assign`) */
  onRedirect?: (url: string) => void;
  /** URL origin to call (default: the page's) — for calls from Node or tests */
  base?: string;
}

/**
 * The typed stub factory: `const addTodo = stub<typeof addTodoFn>({ name: "add_todo",
 * path: "/api/add_todo", method: "POST", encoding: "url" })`. Calling it sends the input
 * in the function's encoding and resolves with its typed result, or rejects with a
 * ServerFnError.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function stub<F extends ServerFnLike<any, any>>(
  meta: ServerFnMeta,
  options: StubOptions = {},
): Stub<InputOf<F>, OutputOf<F>> {
  const call = async (input: unknown, { signal }: CallOptions = {}) => {
    // Every rejection is a ServerFnError: an abort becomes the `Request` error "Canceled".
    const reply = await requestFor(meta, input, signal, options.base ?? "").catch((e: unknown) => {
      throw toError(e);
    });
    if (reply.redirect !== undefined) {
      (options.onRedirect ?? ((url) => location.assign(url)))(reply.redirect);
      return undefined;
    }
    return reply.value;
  };
  const { name, path, method, encoding } = meta;
  return Object.defineProperties(call, {
    name: { value: name },
    path: { value: path, enumerable: true },
    method: { value: method, enumerable: true },
    encoding: { value: encoding, enumerable: true },
  }) as never;
}

async function requestFor(meta: ServerFnMeta, input: unknown, signal: AbortSignal | undefined, base: string): Promise<Reply> {
  const url = base + meta.path;
  switch (meta.encoding) {
    case "get-json":
    case "get-cbor": {
      const query = toSearchParams(input).toString();
      const accept = meta.encoding === "get-cbor" ? CONTENT_TYPE.cbor : CONTENT_TYPE.json;
      return request(query ? `${url}?${query}` : url, { method: "GET", headers: { accept }, signal });
    }
    case "json":
      return request(url, { method: "POST", headers: { "content-type": CONTENT_TYPE.json }, body: JSON.stringify(input ?? {}), signal });
    case "cbor": {
      const { encode } = await import("./cbor.js");
      const headers = { "content-type": CONTENT_TYPE.cbor, accept: CONTENT_TYPE.cbor };
      return request(url, { method: "POST", headers, body: encode(input ?? {}) as Uint8Array<ArrayBuffer>, signal });
    }
    case "multipart":
      // No hand-set Content-Type: fetch writes the multipart boundary.
      return request(url, { method: "POST", body: input instanceof FormData ? input : toFormData(input), signal });
    default:
      return request(url, { method: "POST", body: input instanceof FormData ? new URLSearchParams(input as never) : toSearchParams(input), signal });
  }
}
