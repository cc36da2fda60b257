/**
 * A form's success text with its `{field}` placeholders filled: from the result when it is
 * an object holding that field, else from the input (`"“{title}” added"` → `"“Buy milk” added"`).
 * A placeholder with no value becomes "", so a message never shows braces to a user.
 * The server (the page after a redirect) and the script (the live region) both use it,
 * so the two modes say the same words.
 */
export function fillText(text: string, result: unknown, input: unknown): string {
  return text.replace(/\{([\w.-]+)\}/g, (_, name: string) => String(own(result, name) ?? own(input, name) ?? ""));
}

function own(from: unknown, name: string): unknown {
  if (!from || typeof from !== "object" || !Object.hasOwn(from, name)) return undefined;
  const v = (from as Record<string, unknown>)[name];
  return v !== null && typeof v === "object" ? undefined : v;
}
