import { ServerFnError, type Issue } from "../protocol/errors.js";
import type { StandardSchemaV1 } from "./standard-schema.js";

/** Runs a Standard Schema validator; a failure becomes a 422 `Validation` error with issues. */
export async function validate<T>(schema: StandardSchemaV1<unknown, T> | undefined, value: unknown): Promise<T> {
  if (!schema) return value as T;
  // Any thenable, not only this realm's Promise: a validator's Promise from another realm
  // (a vm context) or library would otherwise be taken for a passing result.
  const answer = schema["~standard"].validate(value);
  const result = isThenable(answer) ? await answer : answer;
  if (!result || typeof result !== "object") throw new Error("isoform: the input schema's validate() returned neither a result nor a Promise of one");
  if (!result.issues) return result.value;
  const issues: Issue[] = result.issues.map((i) => ({
    path: (i.path ?? []).map((seg) => {
      const key = typeof seg === "object" && seg !== null ? seg.key : seg;
      return typeof key === "number" ? key : String(key);
    }),
    message: i.message,
  }));
  const first = issues[0];
  const message = issues.length === 1 && first
    ? (first.path.length ? `${first.path.join(".")}: ${first.message}` : first.message)
    : `${issues.length} fields are invalid`;
  throw new ServerFnError(message, { type: "Validation", issues });
}

function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null)?.then === "function";
}
