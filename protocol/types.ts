/**
 * The shape of a server function as the browser may know it: metadata at run time,
 * input and output types at compile time only (`import type` of the server's value).
 */
import type { Encoding, Method } from "./wire.js";

export interface ServerFnMeta<Name extends string = string, Path extends string = string, M extends Method = Method, E extends Encoding = Encoding> {
  /** the function's identity, unique in the registry */
  readonly name: Name;
  /** the endpoint path, e.g. `/api/add_todo` */
  readonly path: Path;
  readonly method: M;
  readonly encoding: E;
}

/** The HTTP method of an encoding, as a type (`ENCODING_METHOD` in wire.ts at run time). */
export type MethodOf<E extends Encoding> = E extends "get-json" | "get-cbor" ? "GET" : "POST";

/**
 * Anything callable like a server function. The server's `serverFn(...)` value satisfies
 * it with its literal name, path, method and encoding, so `typeof addTodo` carries both
 * types and its metadata into the browser.
 */
export interface ServerFnLike<In, Out, Meta extends ServerFnMeta = ServerFnMeta> extends ServerFnMeta<Meta["name"], Meta["path"], Meta["method"], Meta["encoding"]> {
  (input: In): Promise<Out>;
  /** phantom fields: present in types only, never at run time */
  readonly __input?: In;
  readonly __output?: Out;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyServerFnLike = ServerFnLike<any, any, ServerFnMeta>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type InputOf<F> = F extends ServerFnLike<infer In, any, any> ? In : never;
/** What the handler returns, on the server. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type OutputOf<F> = F extends ServerFnLike<any, infer Out, any> ? Out : never;
/** The metadata of a server function's type: its literal name, path, method and encoding. */
export type MetaOf<F extends AnyServerFnLike> = ServerFnMeta<F["name"], F["path"], F["method"], F["encoding"]>;

/**
 * What a caller over HTTP receives: the result as its encoding carries it. JSON encodings
 * carry the JSON-serialised type (a Date becomes its ISO string, `undefined` properties
 * vanish, a Map becomes `{}`); CBOR encodings carry dates, bigints and bytes as they are.
 */
export type WireOutputOf<F extends AnyServerFnLike> = F["encoding"] extends "cbor" | "get-cbor" ? OutputOf<F> : Jsonify<OutputOf<F>>;

/** The type `JSON.parse(JSON.stringify(value))` gives back for a value of type T. */
export type Jsonify<T> = T extends { toJSON(...args: never[]): infer J }
  ? Jsonify<J>
  : T extends string | number | boolean | null
    ? T
    : T extends undefined | bigint | symbol | ((...args: never[]) => unknown)
      ? never
      : T extends readonly (infer U)[]
        ? (Jsonify<U> | ([Extract<U, undefined | symbol | ((...args: never[]) => unknown)>] extends [never] ? never : null))[]
        : T extends ReadonlyMap<unknown, unknown> | ReadonlySet<unknown>
          ? Record<string, never>
          : T extends object
            ? Simplify<
                { [K in keyof T as KeptKey<T, K, false>]: Jsonify<T[K]> } & { [K in keyof T as KeptKey<T, K, true>]?: Jsonify<T[K]> }
              >
            : never;

/** True for what JSON.stringify leaves out of an object (and writes as null in an array). */
type Dropped<V> = [V] extends [undefined | symbol | ((...args: never[]) => unknown)] ? true : false;
/** Keys JSON keeps: required ones, or (`optional`) those that may be undefined, and so may vanish. */
type KeptKey<T, K extends keyof T, Optional extends boolean> = K extends symbol
  ? never
  : Dropped<T[K]> extends true
    ? never
    : (undefined extends T[K] ? true : false) extends Optional
      ? K
      : never;
type Simplify<T> = { [K in keyof T]: T[K] } & {};
