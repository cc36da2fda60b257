import { describe, expect, it } from "vitest";
import { formObject } from "../client/form-object.js";

// A JSON or CBOR form's fields become the object qs would build from the same names.
const data = (pairs: [string, string | Blob][]) => {
  const d = new FormData();
  for (const [k, v] of pairs) d.append(k, v);
  return d;
};

describe("formObject", () => {
  it("nests brackets, collects lists and repeated names, and sets indices", () => {
    const out = formObject(data([["title", "Pack"], ["address[city]", "Oslo"], ["address[zip]", "0150"], ["tags[]", "a"], ["tags[]", "b"], ["one[]", "only"], ["pick", "x"], ["pick", "y"], ["rows[1]", "second"], ["rows[0]", "first"]]));
    expect(JSON.parse(JSON.stringify(out))).toEqual({ title: "Pack", address: { city: "Oslo", zip: "0150" }, tags: ["a", "b"], one: ["only"], pick: ["x", "y"], rows: ["first", "second"] });
  });

  it("leaves out files and never follows a prototype name", () => {
    const out = formObject(data([["doc", new Blob(["x"])], ["__proto__[polluted]", "1"], ["a[constructor][prototype][x]", "1"], ["ok", "1"]]));
    expect(JSON.parse(JSON.stringify(out))).toEqual({ ok: "1" });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
