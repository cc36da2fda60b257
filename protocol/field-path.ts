/**
 * The field-path rule: how a form field's name (`address[city]`, `tags[]`, `tags[2]`) and
 * an issue's path (`["address", "city"]`) name the same place, in qs bracket syntax. The
 * server uses it to put issues and echoed input next to their fields in a page; the client
 * to put an issue in the error container of its field. Written once, here.
 */

/** `address[city]` → ["address", "city"]; `tags[]` → ["tags"]; `tags[2]` → ["tags", "2"]. */
export function fieldPath(name: string): string[] {
  return name.split(/[[\]]+/).filter((s) => s !== "");
}

/** `["address", "city"]` → `address[city]`: the inverse of `fieldPath`. */
export function fieldName(path: readonly (string | number)[]): string {
  return path.map((p, i) => (i ? `[${p}]` : String(p))).join("");
}
