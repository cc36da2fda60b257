/**
 * A thrown value's message, for logs and development errors, that can never throw itself.
 * Handlers may throw anything: an object whose `message` getter throws, a Proxy whose every
 * trap throws, an object whose getters rethrow the object. Reading such a value is where an
 * error boundary usually breaks, so every read here is guarded and the answer is a string.
 */
export function describe(err: unknown): string {
  try {
    if (typeof err === "string") return err;
    if (err === null || (typeof err !== "object" && typeof err !== "function")) return String(err);
    const message: unknown = (err as { message?: unknown }).message;
    if (typeof message === "string") return message;
    return Object.prototype.toString.call(err);
  } catch {
    return "(a thrown value that cannot be read)";
  }
}

/** The stack of an Error, or its description: for development logs only. */
export function describeWithStack(err: unknown): string {
  try {
    if (err instanceof Error && typeof err.stack === "string") return err.stack;
  } catch {
    // a Proxy's getPrototypeOf trap, or a throwing `stack` getter: fall through
  }
  return describe(err);
}
