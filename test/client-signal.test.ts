import { describe, expect, it, vi } from "vitest";
import { signal } from "../client/signal.js";

describe("signal", () => {
  it("holds a value and notifies subscribers of changes only", () => {
    const s = signal(1);
    const seen = vi.fn();
    s.subscribe(seen);
    expect(seen).not.toHaveBeenCalled(); // not on subscribe
    s.set(2);
    s.set(2); // unchanged: no notification
    s.set(3);
    expect(s.get()).toBe(3);
    expect(seen.mock.calls).toEqual([[2], [3]]);
  });

  it("stops notifying after unsubscribe, even from inside a notification", () => {
    const s = signal("a");
    const calls: string[] = [];
    const off1 = s.subscribe((v) => {
      calls.push(`1:${v}`);
      off1();
    });
    s.subscribe((v) => calls.push(`2:${v}`));
    s.set("b");
    s.set("c");
    expect(calls).toEqual(["1:b", "2:b", "2:c"]);
  });
});
