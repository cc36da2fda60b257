export { signal, type Signal, type WritableSignal } from "./signal.js";
export { createAction, type Action, type ActionFn } from "./action.js";
export { createMultiAction, type MultiAction, type Submission } from "./multi-action.js";
export { createServerAction, createServerMultiAction } from "./server-action.js";
export { stub, type Stub, type StubOf, type StubOptions, type CallOptions } from "./stub.js";
export { ServerFnError, type ErrorType, type Issue } from "../protocol/errors.js";
export type { ServerFnLike, ServerFnMeta, InputOf, OutputOf, WireOutputOf, Jsonify, MetaOf } from "../protocol/types.js";
