import { describe, expect, it } from "vitest";
import { createMultiAction } from "../client/multi-action.js";

function deferred<T>() {
  let resolve!: (v: T) => void, reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

/** An operation whose calls the test answers one by one, honouring the abort signal. */
function controllable<T>() {
  const calls: { input: string; d: ReturnType<typeof deferred<T>> }[] = [];
  const fn = (input: string, signal: AbortSignal) => {
    const d = deferred<T>();
    signal.addEventListener("abort", () => d.reject(new DOMException("aborted", "AbortError")));
    calls.push({ input, d });
    return d.promise;
  };
  return { calls, fn };
}

describe("createMultiAction", () => {
  it("three dispatches give three concurrent submissions", async () => {
    const { calls, fn } = controllable<string>();
    const multi = createMultiAction(fn);
    const subs = ["Buy milk", "Walk dog", "Write code"].map((t) => multi.dispatch(t));
    expect(multi.submissions.get()).toHaveLength(3);
    expect(multi.submissions.get().map((s) => s.input)).toEqual(["Buy milk", "Walk dog", "Write code"]);
    expect(subs.every((s) => s.pending.get())).toBe(true);
    expect(calls).toHaveLength(3); // all in flight at once
    calls[1].d.resolve("ok 2");
    await subs[1].done;
    expect(subs[1].pending.get()).toBe(false);
    expect(subs[1].value.get()).toBe("ok 2");
    expect(subs[0].pending.get()).toBe(true);
    expect(multi.version.get()).toBe(1);
  });

  it("cancel aborts one submission and marks it canceled", async () => {
    const { calls, fn } = controllable<string>();
    const multi = createMultiAction(fn);
    const a = multi.dispatch("a");
    const b = multi.dispatch("b");
    a.cancel();
    await a.done;
    expect(a.canceled.get()).toBe(true);
    expect(a.pending.get()).toBe(false);
    expect(a.error.get()?.type).toBe("Request");
    expect(b.pending.get()).toBe(true);
    calls[1].d.resolve("B");
    await b.done;
    expect(b.value.get()).toBe("B");
    expect(multi.version.get()).toBe(1);
  });

  it("retry after a failure sends the same input again", async () => {
    let attempts = 0;
    const multi = createMultiAction(async (input: string) => {
      attempts++;
      if (attempts === 1) throw new TypeError("Failed to fetch");
      return input.toUpperCase();
    });
    const s = multi.dispatch("retry me");
    await s.done;
    expect(s.error.get()?.type).toBe("Request");
    expect(s.canceled.get()).toBe(false);
    await s.retry();
    expect(s.error.get()).toBeUndefined();
    expect(s.value.get()).toBe("RETRY ME");
    expect(attempts).toBe(2);
  });

  it("remove drops a settled submission from the list", async () => {
    const multi = createMultiAction(async (n: number) => n);
    const s = multi.dispatch(1);
    await s.done;
    multi.remove(s);
    expect(multi.submissions.get()).toEqual([]);
  });
});
