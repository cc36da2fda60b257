import { createAction, type Action } from "./action.js";
import { createMultiAction, type MultiAction } from "./multi-action.js";
import type { Stub } from "./stub.js";

/** An Action that calls a server function through its stub (Leptos's `ServerAction`). */
export function createServerAction<In, Out>(fn: Stub<In, Out>): Action<In, Out> {
  return createAction((input: In, signal) => fn(input, { signal }));
}

/** A MultiAction that calls a server function through its stub (Leptos's `ServerMultiAction`). */
export function createServerMultiAction<In, Out>(fn: Stub<In, Out>): MultiAction<In, Out> {
  return createMultiAction((input: In, signal) => fn(input, { signal }));
}
