/**
 * A form's fields as the object the server's qs parser would build from them, for a form
 * sent as JSON or CBOR: `address[city]` nests, `tags[]` and a repeated name collect into a
 * list, `tags[2]` sets an index. Files have no place in JSON or CBOR and are left out; a
 * prototype name is never followed (the server would refuse it anyway).
 */
export function formObject(data: FormData): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null);
  for (const [name, value] of data) {
    if (typeof value !== "string") continue;
    // protocol/field-path.ts's rule (`fieldPath`), written out: importing it would put that
    // module in a chunk of its own, which the core would then have to load at start.
    const path = name.split(/[[\]]+/).filter((s) => s !== "");
    if (path.length === 0 || path.some((seg) => seg === "__proto__" || seg === "constructor" || seg === "prototype")) continue;
    const list = name.endsWith("[]");
    let at: Record<string, unknown> = out;
    path.forEach((seg, i) => {
      const last = i === path.length - 1;
      const current = at[seg];
      if (!last) {
        const next = /^\d+$/.test(path[i + 1]!) ? [] : Object.create(null);
        at = (current !== null && typeof current === "object" ? current : (at[seg] = next)) as Record<string, unknown>;
      } else if (list) {
        at[seg] = Array.isArray(current) ? [...current, value] : current === undefined ? [value] : [current, value];
      } else {
        at[seg] = current === undefined ? value : Array.isArray(current) ? [...current, value] : [current, value];
      }
    });
  }
  return out;
}
