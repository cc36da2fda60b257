import { describe, expect, it } from "vitest";
import { createAction } from "../client/action.js";
import { ServerFnError } from "../protocol/errors.js";

/** A promise whose settlement the test controls. */
function deferred<T>() {
  let resolve!: (v: T) => void, reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe("createAction (the seed's examples)", () => {
  it("dispatch sets pending and input; resolving sets value and version", async () => {
    const call = deferred<number>();
    const action = createAction((input: string) => (input === "x" ? call.promise : Promise.resolve(0)));
    expect(action.version.get()).toBe(0);
    const done = action.dispatch("x");
    expect(action.pending.get()).toBe(true);
    expect(action.input.get()).toBe("x");
    expect(action.value.get()).toBeUndefined();
    call.resolve(42);
    await done;
    expect(action.pending.get()).toBe(false);
    expect(action.value.get()).toBe(42);
    expect(action.version.get()).toBe(1);
    expect(action.error.get()).toBeUndefined();
  });

  it("a failure sets error, keeps input and value, and does not bump version", async () => {
    let fail = false;
    const action = createAction(async (n: number) => {
      if (fail) throw new ServerFnError("Nope", { status: 409 });
      return n * 2;
    });
    await action.dispatch(2);
    fail = true;
    await action.dispatch(3);
    expect(action.error.get()).toBeInstanceOf(ServerFnError);
    expect(action.error.get()?.status).toBe(409);
    expect(action.input.get()).toBe(3);
    expect(action.value.get()).toBe(4);
    expect(action.version.get()).toBe(1);
  });

  it("a thrown fetch failure becomes a Request error; any other error keeps its message", async () => {
    const action = createAction(async (item: string) => {
      if (item === "net") throw new TypeError("Failed to fetch");
      throw new Error(`"${item}" is out of stock`);
    });
    await action.dispatch("net");
    expect([action.error.get()?.type, action.error.get()?.message]).toEqual(["Request", "Failed to fetch"]);
    await action.dispatch("milk");
    expect([action.error.get()?.type, action.error.get()?.message]).toEqual(["ServerError", '"milk" is out of stock']);
  });

  it("abort() cancels even a function that ignores its signal", async () => {
    const d = deferred<string>();
    const action = createAction(() => d.promise);
    const done = action.dispatch(undefined);
    action.abort();
    d.resolve("late");
    await done;
    expect(action.value.get()).toBeUndefined();
    expect(action.version.get()).toBe(0);
    expect(action.error.get()?.message).toBe("Canceled");
  });

  it("dispatch aborts the previous request and only the latest outcome reaches value", async () => {
    const calls: { input: string; signal: AbortSignal; d: ReturnType<typeof deferred<string>> }[] = [];
    const action = createAction((input: string, signal) => {
      const d = deferred<string>();
      calls.push({ input, signal, d });
      return d.promise;
    });
    const first = action.dispatch("first");
    const second = action.dispatch("second");
    expect(calls[0].signal.aborted).toBe(true);
    expect(calls[1].signal.aborted).toBe(false);
    calls[1].d.resolve("SECOND");
    await second;
    calls[0].d.resolve("FIRST"); // arrives late: ignored
    await first;
    expect(action.value.get()).toBe("SECOND");
    expect(action.version.get()).toBe(1);
    expect(action.pending.get()).toBe(false);
  });

  it("signals notify subscribers through a dispatch", async () => {
    const action = createAction(async (n: number) => n + 1);
    const pending: boolean[] = [];
    action.pending.subscribe((p) => pending.push(p));
    await action.dispatch(1);
    expect(pending).toEqual([true, false]);
  });
});
