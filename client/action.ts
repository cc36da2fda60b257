import type { ServerFnError } from "../protocol/errors.js";
import { signal, type Signal } from "./signal.js";
import { toError } from "./to-error.js";

/** What an action runs: any async function; the signal aborts it when a newer dispatch starts. */
export type ActionFn<I, O> = (input: I, signal: AbortSignal) => Promise<O>;

/** One async operation and its state, as Leptos's `Action`: the latest dispatch wins. */
export interface Action<I, O> {
  /** the input of the latest dispatch */
  readonly input: Signal<I | undefined>;
  /** the result of the latest successful dispatch */
  readonly value: Signal<O | undefined>;
  /** the error of the latest dispatch, cleared when one succeeds */
  readonly error: Signal<ServerFnError | undefined>;
  readonly pending: Signal<boolean>;
  /** how many dispatches have succeeded */
  readonly version: Signal<number>;
  /** runs `fn(input)`, aborting the previous dispatch's request; settles when this one is done or superseded */
  dispatch(input: I): Promise<void>;
  /** aborts the pending dispatch, if any */
  abort(): void;
}

export function createAction<I, O>(fn: ActionFn<I, O>): Action<I, O> {
  const input = signal<I | undefined>(undefined);
  const value = signal<O | undefined>(undefined);
  const error = signal<ServerFnError | undefined>(undefined);
  const pending = signal(false);
  const version = signal(0);
  let current: AbortController | undefined;

  return {
    input,
    value,
    error,
    pending,
    version,
    async dispatch(next) {
      current?.abort();
      const controller = (current = new AbortController());
      input.set(next);
      pending.set(true);
      try {
        const result = await fn(next, controller.signal);
        // A later dispatch owns the state now; this outcome is stale.
        if (current !== controller) return;
        // abort() was called and the function did not listen: still canceled, not a success.
        controller.signal.throwIfAborted();
        error.set(undefined);
        value.set(result);
        version.set(version.get() + 1);
      } catch (e) {
        if (current !== controller) return;
        error.set(toError(e));
      } finally {
        if (current === controller) {
          current = undefined;
          pending.set(false);
        }
      }
    },
    abort() {
      current?.abort();
    },
  };
}
