import { describe, expect, expectTypeOf, it } from "vitest";
import * as v from "valibot";
import { z } from "zod";
import type { InputOf, OutputOf } from "../protocol/types.js";
import { Registry, serverFn } from "../server/index.js";

// Type-level tests: checked by `npm run typecheck` (tsc includes test/); each @ts-expect-error
// fails the typecheck if the line it guards ever compiles.
const registry = new Registry();

const addTodo = serverFn(
  { name: "add_todo", registry, input: z.object({ title: z.string().trim().min(1), done: z.coerce.boolean().default(false) }) },
  async (input) => {
    expectTypeOf(input).toEqualTypeOf<{ title: string; done: boolean }>(); // the schema's output
    return { id: 1, title: input.title };
  },
);

const rename = serverFn(
  { name: "rename", registry, input: v.object({ id: v.number(), name: v.string() }) },
  async ({ id, name }) => {
    expectTypeOf(id).toEqualTypeOf<number>();
    expectTypeOf(name).toEqualTypeOf<string>();
    return name.length;
  },
);

const untyped = serverFn({ name: "untyped", registry }, async (input) => {
  expectTypeOf(input).toEqualTypeOf<Record<string, unknown>>();
  return "ok" as const;
});

// A view's value is the handler's result, inferred from the handler (not from the view).
const listed = serverFn(
  {
    name: "listed",
    encoding: "get-json",
    registry,
    view: (items, page) => {
      expectTypeOf(items).toEqualTypeOf<{ id: number; title: string }[]>();
      // @ts-expect-error a view's value is the handler's result, not anything
      items.nothing();
      return `<ul>${items.map((i) => `<li>${i.title}</li>`).join("")}</ul>${page.script()}`;
    },
  },
  async () => [{ id: 1, title: "one" }],
);

describe("types", () => {
  it("a handler's input comes from its schema; a direct call takes the schema's input", async () => {
    expectTypeOf(addTodo).parameter(0).toEqualTypeOf<{ title: string; done?: unknown }>();
    expectTypeOf(addTodo).returns.resolves.toEqualTypeOf<{ id: number; title: string }>();
    expectTypeOf<InputOf<typeof rename>>().toEqualTypeOf<{ id: number; name: string }>();
    expectTypeOf<OutputOf<typeof rename>>().toEqualTypeOf<number>();
    expectTypeOf<OutputOf<typeof untyped>>().toEqualTypeOf<"ok">();
    expectTypeOf<OutputOf<typeof listed>>().toEqualTypeOf<{ id: number; title: string }[]>();

    // @ts-expect-error: title must be a string
    await addTodo({ title: 42 }).catch(() => {});
    // @ts-expect-error: title is required
    await addTodo({}).catch(() => {});
    // @ts-expect-error: id must be a number
    await rename({ id: "1", name: "x" }).catch(() => {});

    // And at run time the same wrong input is refused by validation.
    await expect(addTodo({ title: 42 } as never)).rejects.toMatchObject({ type: "Validation" });
    expect(await rename({ id: 1, name: "abc" })).toBe(3);
  });

  it("serverFn options are checked", () => {
    // @ts-expect-error: not an encoding
    expect(() => serverFn({ name: "bad_encoding", encoding: "xml", registry }, async () => 1)).toThrow();
    // @ts-expect-error: name is required
    expect(() => serverFn({ registry }, async () => 1)).toThrow();
  });
});
