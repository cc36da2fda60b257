import { describe, expect, it } from "vitest";
import { parseQuery } from "../server/codecs/qs-parse.js";
import { mergeLimits } from "../server/limits.js";

// `_isoform_empty` (docs/protocol.md §2): a path names an empty array, held to the rules of keys.
const limits = mergeLimits();
const parse = (q: string) => parseQuery(q, limits);

describe("_isoform_empty", () => {
  it("puts [] at each named path, nested or not, and leaves no trace of itself", () => {
    expect(parse("_isoform_empty=tags&title=x")).toEqual({ title: "x", tags: [] });
    expect(parse("_isoform_empty=address%5Btags%5D&_isoform_empty=list")).toEqual({ address: { tags: [] }, list: [] });
  });

  it("never replaces what the input has at that path, nor digs through a value or a list", () => {
    expect(parse("tags[0]=a&_isoform_empty=tags")).toEqual({ tags: ["a"] });
    expect(parse("name=x&_isoform_empty=name%5Bsub%5D")).toEqual({ name: "x" });
    expect(parse("list[0]=a&_isoform_empty=list%5Bsub%5D")).toEqual({ list: ["a"] });
    expect(parse("a[b]=1&_isoform_empty=a%5Bc%5D")).toEqual({ a: { b: "1", c: [] } });
  });

  it("refuses prototype names and paths deeper than the limit, with the keys' own errors", () => {
    expect(() => parse("_isoform_empty=__proto__")).toThrow(/"__proto__" is not allowed/);
    expect(() => parse("_isoform_empty=a%5Bconstructor%5D")).toThrow(/"constructor" is not allowed/);
    expect(() => parse("_isoform_empty=a[b][c][d][e][f]")).not.toThrow();
    expect(() => parse("_isoform_empty=" + encodeURIComponent("a[b][c][d][e][f][g]"))).toThrow(/deeper than 5/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("names a path, not an object: another shape is refused; an empty name is ignored", () => {
    expect(() => parse("_isoform_empty[x]=tags")).toThrow(/names a field path/);
    expect(parse("_isoform_empty=&t=1")).toEqual({ t: "1" });
  });
});
