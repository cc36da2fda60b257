import type { IncomingMessage, ServerResponse } from "node:http";
import type { MethodOf, ServerFnLike, ServerFnMeta } from "../protocol/types.js";
import type { Guard, GuardAdds } from "./guard.js";
import { ENCODING_METHOD, type Encoding, type Method } from "../protocol/wire.js";
import type { PageHelpers } from "./helpers.js";
import { checkLimits, type Limits } from "./limits.js";
import { defaultRegistry, type Registry } from "./registry.js";
import { Redirect } from "./redirect.js";
import type { StandardSchemaV1 } from "./standard-schema.js";
import { validate } from "./validate.js";

/** What a handler gets besides its input. */
export interface Context {
  /**
   * the node:http request and response (express's under `isoform()`, Fastify's raw ones
   * under `isoform/fastify`); undefined under the fetch handler and on a direct server call
   */
  req?: IncomingMessage;
  res?: ServerResponse;
  /** the web Request under the fetch handler (`isoform/fetch`, `isoform/hono`) */
  request?: Request;
  /** fires when the client goes away, so long work can stop */
  signal: AbortSignal;
  /** stops the handler and redirects the caller (same-origin targets only) */
  redirect(url: string): never;
}

export interface ServerFnOptions<
  S extends StandardSchemaV1 | undefined = undefined,
  Out = unknown,
  N extends string = string,
  E extends Encoding = Encoding,
  G extends readonly Guard[] = readonly Guard[],
  P extends string | undefined = string | undefined,
  EP extends string | undefined = string | undefined,
> {
  /** the function's identity; unique in the registry */
  name: N;
  /** URL prefix, default `/api` */
  prefix?: P;
  /** path under the prefix, default the name */
  endpoint?: EP;
  /** wire encoding, default `url` (docs/protocol.md §2) */
  encoding?: E;
  /**
   * checks that run before the input is decoded (after cross-origin protection), in order;
   * what they return is added to `ctx`, typed (server/guard.ts)
   */
  guard?: G;
  /** any Standard Schema validator; its output type is the handler's input type */
  input?: S;
  /** field names never echoed back to the page, stored in the outcome cookie, or logged */
  sensitive?: string[];
  /** `false` exempts this function from cross-origin protection (webhooks) */
  csrf?: boolean;
  /** per-function hostile-input limits */
  limits?: Partial<Limits>;
  /**
   * HTML view of the result, sent to htmx requests (`HX-Request`) instead of JSON. `page`
   * holds the template helpers for the page htmx is on (its `HX-Current-URL`), so forms
   * rendered in the fragment return to that page.
   */
  view?: (value: NoInfer<Awaited<Out>>, page: PageHelpers, req: IncomingMessage | undefined) => string;
  /** registry to add to (tests); default the process-wide one */
  registry?: Registry;
}

type InputType<S> = S extends StandardSchemaV1 ? StandardSchemaV1.InferInput<S> : Record<string, unknown>;
type HandlerInput<S> = S extends StandardSchemaV1 ? StandardSchemaV1.InferOutput<S> : Record<string, unknown>;

/**
 * A result its encoding cannot carry fails to compile where the types can see it: a bigint
 * (JSON.stringify throws) from a function whose encoding is JSON. The message names the fix.
 */
type CarriedBy<E extends Encoding, T> = [E] extends ["cbor" | "get-cbor"] | [never] ? unknown : HasBigInt<T> extends true ? { "a JSON encoding cannot carry a bigint: use encoding cbor, or return it as a string": never } : unknown;
type HasBigInt<T, Depth extends unknown[] = []> = [T] extends [never]
  ? false
  : Depth["length"] extends 6
  ? false
  : T extends bigint
    ? true
    : T extends readonly (infer U)[]
      ? HasBigInt<U, [...Depth, 1]>
      : T extends Date | ReadonlyMap<unknown, unknown> | ReadonlySet<unknown> | ((...args: never[]) => unknown)
        ? false
        : T extends object
          ? true extends { [K in keyof T]: HasBigInt<T[K], [...Depth, 1]> }[keyof T]
            ? true
            : false
          : false;

/** A server function's path as a type: `/api/<name>` with the default prefix and endpoint, else string. */
type PathOf<N extends string, P, EP> = [P, EP] extends [undefined, undefined] ? (string extends N ? string : `/api/${N}`) : string;

export interface ServerFn<In, Out, N extends string = string, E extends Encoding = Encoding, P extends string = string>
  extends ServerFnLike<In, Out, ServerFnMeta<N, P, MethodOf<E>, E>> {
  /** direct server-side call: validation and handler, no HTTP */
  (input: In, ctx?: Partial<Context>): Promise<Out>;
  readonly prefix: string;
  readonly sensitive: readonly string[];
  readonly csrf: boolean;
  readonly limits: Partial<Limits> | undefined;
  readonly view: ((value: Out, page: PageHelpers, req: IncomingMessage | undefined) => string) | undefined;
  /** the guards that run before this function decodes its input */
  readonly guards: readonly Guard[];
  /** validates raw decoded input and runs the handler (the pipeline's entry) */
  run(raw: unknown, ctx: Context): Promise<Out>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyServerFn = ServerFn<any, any, string, Encoding, string>;

const NAME_RE = /^[A-Za-z0-9_.~-]+$/;

function ctxRedirect(url: string): never {
  throw new Redirect(url);
}

/**
 * Defines a server function: a named async function exposed at one HTTP endpoint that is
 * also callable directly on the server.
 */
export function serverFn<
  S extends StandardSchemaV1 | undefined = undefined,
  Out = unknown,
  const N extends string = string,
  const E extends Encoding = "url",
  const G extends readonly Guard[] = [],
  const P extends string | undefined = undefined,
  const EP extends string | undefined = undefined,
>(
  options: ServerFnOptions<S, Out, N, E, G, P, EP>,
  handler: ((input: HandlerInput<S>, ctx: Context & GuardAdds<G>) => Out | Promise<Out>) & CarriedBy<E, Awaited<Out>>,
): ServerFn<InputType<S>, Awaited<Out>, N, E, PathOf<N, P, EP>> {
  const { name } = options;
  if (typeof name !== "string" || !NAME_RE.test(name)) {
    throw new TypeError(`isoform: server function name ${JSON.stringify(name)} must be non-empty and use only letters, digits and _ . ~ -`);
  }
  const encoding = options.encoding ?? "url";
  if (!(encoding in ENCODING_METHOD)) {
    throw new TypeError(`isoform: server function "${name}" has unknown encoding "${encoding}"; use one of ${Object.keys(ENCODING_METHOD).join(", ")}`);
  }
  const prefix = normalizePrefix(options.prefix ?? "/api");
  const endpoint = (options.endpoint ?? name).replace(/^\/+/, "");
  const path = `${prefix}/${endpoint}`;
  const method: Method = ENCODING_METHOD[encoding];
  checkLimits(options.limits, `server function "${name}"`);
  const schema = options.input as StandardSchemaV1<unknown, HandlerInput<S>> | undefined;
  const guards: readonly Guard[] = Object.freeze([...(options.guard ?? [])]);
  const typedHandler = handler as (input: HandlerInput<S>, ctx: Context) => Out | Promise<Out>;

  // Without a schema there is nothing to await before the handler: one promise fewer per request.
  const run = schema
    ? async (raw: unknown, ctx: Context): Promise<Awaited<Out>> => await typedHandler(await validate(schema, raw), ctx)
    : async (raw: unknown, ctx: Context): Promise<Awaited<Out>> => await typedHandler(raw as HandlerInput<S>, ctx);

  const call = (input: InputType<S>, ctx?: Partial<Context>) =>
    run(input, { signal: ctx?.signal ?? new AbortController().signal, redirect: ctxRedirect, ...ctx });

  const fn = Object.assign(call, {
    path,
    method,
    encoding,
    prefix,
    sensitive: Object.freeze([...(options.sensitive ?? [])]),
    csrf: options.csrf !== false,
    limits: options.limits,
    view: options.view as AnyServerFn["view"],
    guards,
    run,
  });
  // `name` is a read-only property of functions; define it rather than assign it.
  Object.defineProperty(fn, "name", { value: name, enumerable: true });
  const typed = fn as unknown as ServerFn<InputType<S>, Awaited<Out>, N, E, PathOf<N, P, EP>>;
  (options.registry ?? defaultRegistry).add(typed);
  return typed;
}

function normalizePrefix(prefix: string): string {
  const p = "/" + prefix.replace(/^\/+|\/+$/g, "");
  return p === "/" ? "" : p;
}
