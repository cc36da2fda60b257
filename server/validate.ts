import { ServerFnError, type Issue } from "../protocol/errors.js";
import type { StandardSchemaV1 } from "./standard-schema.js";

/** Runs a Standard Schema validator; a failure becomes a 422 `Validation` error with issues. */
export async function validate<T>(schema: StandardSchemaV1<unknown, T> | undefined, value: unknown): Promise<T> {
  if (!schema) return value as T;
  let result = schema["~standard"].validate(value);
  if (result instanceof Promise) result = await result;
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
