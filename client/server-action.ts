import type { AnyServerFnLike, InputOf, WireOutputOf } from "../protocol/types.js";
import { createAction, type Action } from "./action.js";
import { createMultiAction, type MultiAction } from "./multi-action.js";
import { stub, type Stub, type StubOptions } from "./stub.js";

/**
 * An Action that calls a server function (Leptos's `ServerAction`): by name,
 * `createServerAction<typeof addTodo>("add_todo")`, or through a stub.
 */
export function createServerAction<F extends AnyServerFnLike>(name: F["name"], options?: StubOptions): Action<InputOf<F>, WireOutputOf<F>>;
export function createServerAction<In, Out>(fn: Stub<In, Out>): Action<In, Out>;
export function createServerAction(fn: string | Stub<unknown, unknown>, options?: StubOptions): Action<unknown, unknown> {
  const call = typeof fn === "string" ? stub(fn as never, options) : fn;
  return createAction((input: unknown, signal) => call(input, { signal }));
}

/** A MultiAction that calls a server function (Leptos's `ServerMultiAction`): by name or through a stub. */
export function createServerMultiAction<F extends AnyServerFnLike>(name: F["name"], options?: StubOptions): MultiAction<InputOf<F>, WireOutputOf<F>>;
export function createServerMultiAction<In, Out>(fn: Stub<In, Out>): MultiAction<In, Out>;
export function createServerMultiAction(fn: string | Stub<unknown, unknown>, options?: StubOptions): MultiAction<unknown, unknown> {
  const call = typeof fn === "string" ? stub(fn as never, options) : fn;
  return createMultiAction((input: unknown, signal) => call(input, { signal }));
}
