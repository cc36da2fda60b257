import { ServerFnError } from "../protocol/errors.js";
import type { AnyServerFnLike, InputOf, MetaOf, ServerFnMeta, WireOutputOf } from "../protocol/types.js";
import { CONTENT_TYPE, MANIFEST_ATTR, MANIFEST_PATH } from "../protocol/wire.js";
import { toFormData, toSearchParams } from "./query.js";
import { toError } from "./to-error.js";
import { request, type Reply } from "./request.js";

/** Options of one call through a stub. */
export interface CallOptions {
  signal?: AbortSignal;
}

/**
 * A server function as the browser calls it: typed from the server's value through
 * `import type`, carrying only its name at run time (and its metadata, when given).
 */
export interface Stub<In, Out> {
  (input: In, options?: CallOptions): Promise<Out>;
  readonly name: string;
  /** the endpoint, method and encoding when the stub was made with them (the object form) */
  readonly path?: string;
  readonly method?: ServerFnMeta["method"];
  readonly encoding?: ServerFnMeta["encoding"];
  readonly __input?: In;
  readonly __output?: Out;
}

export interface StubOptions {
  /** where a redirect from the server goes (default: `location.assign`) */
  onRedirect?: (url: string) => void;
  /** URL origin to call (default: the page's) — for calls from Node or tests */
  base?: string;
}

/** The stub of server function `F`: its input, and its result as its encoding carries it. */
export type StubOf<F extends AnyServerFnLike> = Stub<InputOf<F>, WireOutputOf<F>>;

/**
 * The typed stub factory, by the function's name: `const addTodo = stub<typeof addTodoFn>("add_todo")`.
 * The name must be the function's own (another string does not compile); its path, method
 * and encoding come from the server — the page's manifest, written by the `script()` helper,
 * or `/_isoform/manifest.json` — never from the caller. Calling the stub sends the input in
 * the function's encoding and resolves with its result as that encoding carries it (a Date
 * is a string over JSON), or rejects with a ServerFnError.
 *
 * The object form, `stub<typeof fn>({ name, path, method, encoding })`, is for a function
 * served somewhere the manifest does not reach; its fields are checked against the type.
 */
export function stub<F extends AnyServerFnLike>(name: F["name"], options?: StubOptions): StubOf<F>;
export function stub<F extends AnyServerFnLike>(meta: MetaOf<F>, options?: StubOptions): StubOf<F>;
export function stub(ref: string | ServerFnMeta, options: StubOptions = {}): Stub<unknown, unknown> {
  const base = options.base ?? "";
  const call = async (input: unknown, { signal }: CallOptions = {}) => {
    // Every rejection is a ServerFnError: an abort becomes the `Request` error "Canceled".
    const reply = await (typeof ref === "string" ? metaFor(ref, base) : Promise.resolve(ref))
      .then((meta) => requestFor(meta, input, signal, base))
      .catch((e: unknown) => {
        throw toError(e);
      });
    if (reply.redirect !== undefined) {
      (options.onRedirect ?? ((url) => location.assign(url)))(reply.redirect);
      return undefined;
    }
    return reply.value;
  };
  if (typeof ref === "string") return Object.defineProperty(call, "name", { value: ref }) as never;
  const { name, path, method, encoding } = ref;
  return Object.defineProperties(call, {
    name: { value: name },
    path: { value: path, enumerable: true },
    method: { value: method, enumerable: true },
    encoding: { value: encoding, enumerable: true },
  }) as never;
}

type Manifest = Record<string, Omit<ServerFnMeta, "name">>;
const manifests = new Map<string, Promise<Manifest>>();

/** A function's metadata from the server's manifest: the page's own, else fetched once per origin. */
async function metaFor(name: string, base: string): Promise<ServerFnMeta> {
  let manifest = manifests.get(base);
  if (!manifest) {
    const inPage = base === "" && typeof document !== "undefined" ? document.querySelector(`script[${MANIFEST_ATTR}]`)?.textContent : undefined;
    manifest = inPage ? Promise.resolve(JSON.parse(inPage) as Manifest) : fetchManifest(base);
    manifests.set(base, manifest);
    // A failed fetch is not kept: the next call tries again.
    manifest.catch(() => manifests.delete(base));
  }
  const entry = (await manifest)[name];
  if (!entry) throw new ServerFnError(`No server function named "${name}" on the server; check the name, and that its module is imported there`, { type: "NotFound" });
  return { name, ...entry };
}

async function fetchManifest(base: string): Promise<Manifest> {
  const res = await fetch(base + MANIFEST_PATH, { headers: { accept: "application/json" } });
  if (!res.ok) throw new ServerFnError(`The server's function manifest is not available (status ${res.status}); is isoform mounted there?`, { type: "NotFound" });
  return (await res.json()) as Manifest;
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
