/**
 * The shape of a server function as the browser may know it: metadata at run time,
 * input and output types at compile time only (`import type` of the server's value).
 */
import type { Encoding, Method } from "./wire.js";

export interface ServerFnMeta {
  /** the function's identity, unique in the registry */
  readonly name: string;
  /** the endpoint path, e.g. `/api/add_todo` */
  readonly path: string;
  readonly method: Method;
  readonly encoding: Encoding;
}

/**
 * Anything callable like a server function. The server's `serverFn(...)` value
 * satisfies it, so `typeof addTodo` carries both types into the browser.
 */
export interface ServerFnLike<In, Out> extends ServerFnMeta {
  (input: In): Promise<Out>;
  /** phantom fields: present in types only, never at run time */
  readonly __input?: In;
  readonly __output?: Out;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type InputOf<F> = F extends ServerFnLike<infer In, any> ? In : never;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type OutputOf<F> = F extends ServerFnLike<any, infer Out> ? Out : never;
