import { describe, expect, it } from "vitest";
import { ServerFnError } from "../protocol/errors.js";
import { EMPTY_FIELD } from "../protocol/wire.js";
import { formInput, formInputByQuery, UploadedFile } from "../server/codecs/multipart.js";
import { DEFAULT_LIMITS, mergeLimits, type Limits } from "../server/limits.js";

/**
 * A multipart form's input from its parts (server/codecs/multipart.ts): `formInput` puts parts
 * whose names have no brackets, none twice, in an object directly; `formInputByQuery` states
 * the rule, through qs as the `url` codec decodes (names with brackets always go that way).
 * On every set of parts the two give the same input or the same refusal.
 */

type Outcome = { input: unknown } | { type: string; limit?: string; message: string };

function outcome(f: () => unknown): Outcome {
  try {
    return { input: f() };
  } catch (err) {
    if (!(err instanceof ServerFnError)) throw err;
    return { type: err.type, ...(err.limit ? { limit: err.limit } : {}), message: err.message };
  }
}

function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const file = (n: number) => new UploadedFile(`f${n}.txt`, "text/plain", n, `/tmp/isoform-upload-test-${n}`);

// Names a form could send, plain and not: Object.prototype's own, prototype names, NUL,
// characters that mean something in a query string, numbers, dots, brackets, the hidden field.
const NAMES = ["a", "b", "title", "field_1", "0", "01", "-1", "1e3", "a.b", "a b", "a+b", "a%20b", "%", "a&b", "a=b", "?a", "é", "漢字", "🌍", "toString", "hasOwnProperty", "valueOf", "__defineGetter__", "isPrototypeOf", "__proto__", "constructor", "prototype", "proto", "a\u0000", "x]", "y[", "tags[]", "a[b]", "a[__proto__]", EMPTY_FIELD];
const VALUES = ["", "v", "a b", "a+b", "100%", "%41", "x=y&z", "é", "\u0000", "a\u0000b", "🌍", "tags", "a[b]", "[]"];

describe("formInput against qs", () => {
  it("agrees with formInputByQuery on 20 000 generated forms, under three sets of limits", () => {
    const rand = prng(0x6d75);
    const pick = <T,>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
    const limitsSets: Limits[] = [DEFAULT_LIMITS, mergeLimits({ parameters: 3, arrayLength: 2, depth: 1 }), mergeLimits({ parameters: 1 })];
    const failures: string[] = [];
    for (let i = 0; i < 20_000 && failures.length < 5; i++) {
      // Mostly plain names (the fast way), sometimes one from the whole list.
      const n = Math.floor(rand() * 6);
      const names: string[] = [];
      const values: (string | UploadedFile)[] = [];
      for (let k = 0; k < n; k++) {
        const name = rand() < 0.05 ? "" : rand() < 0.7 ? pick(NAMES.slice(0, 12)) + (rand() < 0.5 ? String(k) : "") : pick(NAMES);
        names.push(name);
        // (A file sent as the hidden field would name its random placeholder as a path.)
        values.push(rand() < 0.15 && name !== EMPTY_FIELD ? file(k) : pick(VALUES));
      }
      const limits = limitsSets[i % limitsSets.length]!;
      const mine = outcome(() => formInput(names, values, limits));
      const theirs = outcome(() => formInputByQuery(names, values, limits));
      try {
        expect(mine).toEqual(theirs);
        // Same keys in the same order, and files as the same objects.
        if ("input" in mine && "input" in theirs) expect(Object.keys(mine.input as object)).toEqual(Object.keys(theirs.input as object));
      } catch {
        failures.push(`${JSON.stringify(names)} ${JSON.stringify(values)}: ${JSON.stringify(mine)} vs ${JSON.stringify(theirs)}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it("plain names: an object of the parts, files at their names, Object.prototype's names dropped as qs drops them", () => {
    const f = file(1);
    const names = ["title", "toString", "0", "attachment", "a.b"];
    const values = ["Report", "x", "zero", f, "dot"];
    const input = formInput(names, values, DEFAULT_LIMITS);
    expect(input).toEqual({ 0: "zero", title: "Report", attachment: f, "a.b": "dot" });
    expect(input.attachment).toBe(f);
    expect(formInputByQuery(names, values, DEFAULT_LIMITS)).toEqual(input);
  });

  it("plain names are still held to the parameter limit, NUL characters and prototype names, in qs's order", () => {
    const limits = mergeLimits({ parameters: 2 });
    expect(outcome(() => formInput(["a", "b", "c\u0000"], ["1", "2", "3"], limits))).toMatchObject({ limit: "parameters" });
    expect(outcome(() => formInput(["a", "b"], ["\u0000", "2"], limits))).toMatchObject({ message: expect.stringContaining("NUL") });
    expect(outcome(() => formInput(["constructor"], ["1"], limits))).toMatchObject({ message: expect.stringContaining('"constructor" is not allowed') });
    expect(outcome(() => formInput(["a", "__proto__"], ["\u0000", "1"], limits))).toMatchObject({ message: expect.stringContaining("NUL") });
  });

  it("a part named \"\" (a file input left empty) is none, either way", () => {
    const limits = mergeLimits({ parameters: 1 });
    expect(formInput(["", "a", ""], ["x", "1", "y"], limits)).toEqual({ a: "1" });
    expect(formInputByQuery(["", "a", ""], ["x", "1", "y"], limits)).toEqual({ a: "1" });
    expect(formInput(["", ""], ["x", "y"], limits)).toEqual({});
  });

  it("a name twice, a bracket or the hidden empty-array field goes through qs", () => {
    expect(formInput(["tags", "tags"], ["a", "b"], DEFAULT_LIMITS)).toEqual({ tags: ["a", "b"] });
    expect(formInput(["tags[]", "x"], ["a", "b"], DEFAULT_LIMITS)).toEqual({ tags: ["a"], x: "b" });
    expect(formInput(["a", EMPTY_FIELD], ["1", "list"], DEFAULT_LIMITS)).toEqual({ a: "1", list: [] });
  });
});
