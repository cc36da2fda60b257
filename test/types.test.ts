import { describe, expect, expectTypeOf, it } from "vitest";
import * as v from "valibot";
import { z } from "zod";
import { createServerAction, stub } from "../client/index.js";
import type { InputOf, Jsonify, OutputOf, WireOutputOf } from "../protocol/types.js";
import { Registry, serverFn, ServerFnError, type GuardRequest } from "../server/index.js";

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

// Typed end to end: metadata, stubs by name, results as their encoding carries them, guards.
const when = serverFn({ name: "when", encoding: "json", registry }, async () => ({ at: new Date(), gone: undefined as string | undefined, n: 1 }));
const whenCbor = serverFn({ name: "when_cbor", encoding: "cbor", registry }, async () => ({ at: new Date(), big: 2n ** 70n, bytes: new Uint8Array(2) }));
const requireUser = (request: GuardRequest) => {
  if (!request.header("cookie")?.includes("user=")) throw new ServerFnError("Sign in first", { type: "Unauthorized", location: "/login" });
  return { user: { id: 7, name: "Ada" } };
};
const requireAdmin = async () => ({ role: "admin" as const });
const whoami = serverFn({ name: "whoami", registry, guard: [requireUser, requireAdmin] }, async (_input, ctx) => {
  expectTypeOf(ctx.user).toEqualTypeOf<{ id: number; name: string }>();
  expectTypeOf(ctx.role).toEqualTypeOf<"admin">();
  // @ts-expect-error no guard adds `team`
  void ctx.team;
  return ctx.user.name;
});

// A result the encoding cannot carry does not compile: a bigint over JSON (cbor carries it).
// @ts-expect-error a JSON encoding cannot carry a bigint
serverFn({ name: "big_json", encoding: "json", registry }, async () => ({ id: 1n }));
// @ts-expect-error nor can the default url encoding, nested in a list
serverFn({ name: "big_url", registry }, async () => [{ ok: true, n: 2n }]);
serverFn({ name: "big_cbor", encoding: "cbor", registry }, async () => ({ id: 1n }));

describe("types end to end", () => {
  it("a server function's type carries its literal name, path, method and encoding", () => {
    expectTypeOf(addTodo.name).toEqualTypeOf<"add_todo">();
    expectTypeOf(addTodo.path).toEqualTypeOf<"/api/add_todo">();
    expectTypeOf(addTodo.method).toEqualTypeOf<"POST">();
    expectTypeOf(addTodo.encoding).toEqualTypeOf<"url">();
    expectTypeOf(listed.method).toEqualTypeOf<"GET">();
    expectTypeOf(whenCbor.encoding).toEqualTypeOf<"cbor">();
    expect([addTodo.name, addTodo.path, listed.method, whenCbor.encoding]).toEqual(["add_todo", "/api/add_todo", "GET", "cbor"]);
  });

  it("a stub is made by the function's own name, and takes the function's input", () => {
    const add = stub<typeof addTodo>("add_todo");
    // @ts-expect-error a different name is a compile error
    stub<typeof addTodo>("add_todos");
    // @ts-expect-error the object form is checked against the type
    stub<typeof addTodo>({ name: "add_todo", path: "/api/whatever", method: "GET", encoding: "cbor" });
    expectTypeOf(add).parameter(0).toEqualTypeOf<{ title: string; done?: unknown }>();
    // @ts-expect-error title must be a string
    void (() => add({ title: 1 }));
    expectTypeOf(createServerAction<typeof addTodo>("add_todo").value.get()).toEqualTypeOf<{ id: number; title: string } | undefined>();
    expect(add.name).toBe("add_todo");
  });

  it("a result is typed as its encoding carries it: JSON serialises, CBOR keeps dates, bigints and bytes", () => {
    expectTypeOf<WireOutputOf<typeof when>>().toEqualTypeOf<{ at: string; gone?: string; n: number }>();
    expectTypeOf<WireOutputOf<typeof whenCbor>>().toEqualTypeOf<{ at: Date; big: bigint; bytes: Uint8Array<ArrayBuffer> }>();
    expectTypeOf(stub<typeof when>("when")).returns.resolves.toEqualTypeOf<{ at: string; gone?: string; n: number }>();
    expectTypeOf<Jsonify<{ m: Map<string, number>; f: () => void; list: (Date | undefined)[] }>>().toEqualTypeOf<{ m: Record<string, never>; list: (string | null)[] }>();
  });

  it("guards add typed values to ctx", async () => {
    expect(await whoami({}, { user: { id: 1, name: "direct" }, role: "admin" } as never)).toBe("direct");
  });
});
