/// <reference types="node" preserve="true" />
// (Kept in the declarations: these types use Node's, so a project gets them without listing them.)
export { serverFn, type ServerFn, type ServerFnOptions, type Context, type AnyServerFn } from "./server-fn.js";
export { ServerFnError, type ErrorType, type ErrorEnvelope, type Issue } from "../protocol/errors.js";
export { redirect } from "./redirect.js";
export type { Guard, GuardRequest } from "./guard.js";
export { isoform, type IsoformMiddleware } from "./express.js";
export { createRequestHandler, type IsoformRequestHandler, type RequestHandlerOptions } from "./node-handler.js";
export type { IsoformOptions } from "./core.js";
export { DEFAULT_LIMITS, type Limits } from "./limits.js";
export { Registry, defaultRegistry } from "./registry.js";
export { PageHelpers, type FormOptions } from "./helpers.js";
export { loadPartials, PARTIALS_DIR, type PartialLoader } from "./partials.js";
export { isUploadedFile, type UploadedFile } from "./codecs/uploaded-file.js";
export type { Outcome } from "./outcome.js";
export type { StandardSchemaV1 } from "./standard-schema.js";
