/**
 * The smallest useful reactive value: `get()`, `subscribe(fn)` (returns an unsubscribe),
 * and `set()` for the owner. Subscribers run synchronously on every change, not on
 * subscribe, so a render function can subscribe to several signals and call itself once.
 */
export interface Signal<T> {
  get(): T;
  subscribe(fn: (value: T) => void): () => void;
}

export interface WritableSignal<T> extends Signal<T> {
  set(value: T): void;
}

export function signal<T>(initial: T): WritableSignal<T> {
  let value = initial;
  const subs = new Set<(value: T) => void>();
  return {
    get: () => value,
    set(next) {
      if (Object.is(next, value)) return;
      value = next;
      // A copy, so a subscriber that unsubscribes (or subscribes) while notified is safe.
      for (const fn of [...subs]) fn(value);
    },
    subscribe(fn) {
      subs.add(fn);
      return () => void subs.delete(fn);
    },
  };
}
