import type { ServerFnError } from "../protocol/errors.js";
import { signal, type Signal } from "./signal.js";
import { isCanceled, toError } from "./to-error.js";
import type { ActionFn } from "./action.js";

/** One dispatch of a MultiAction, as Leptos's `Submission`. */
export interface Submission<I, O> {
  readonly input: I;
  readonly value: Signal<O | undefined>;
  readonly error: Signal<ServerFnError | undefined>;
  readonly pending: Signal<boolean>;
  readonly canceled: Signal<boolean>;
  /** aborts the request; the submission stays in the list, marked canceled */
  cancel(): void;
  /** sends the same input again (after a failure or a cancel) */
  retry(): Promise<void>;
}

/** Many concurrent dispatches of one operation, each kept as a submission (Leptos's `MultiAction`). */
export interface MultiAction<I, O> {
  readonly submissions: Signal<Submission<I, O>[]>;
  /** how many submissions have succeeded */
  readonly version: Signal<number>;
  /** starts a new submission at once; its promise settles with the request */
  dispatch(input: I): Submission<I, O> & { done: Promise<void> };
  /** removes a settled submission from the list */
  remove(submission: Submission<I, O>): void;
}

export function createMultiAction<I, O>(fn: ActionFn<I, O>): MultiAction<I, O> {
  const submissions = signal<Submission<I, O>[]>([]);
  const version = signal(0);

  const dispatch = (input: I) => {
    const value = signal<O | undefined>(undefined);
    const error = signal<ServerFnError | undefined>(undefined);
    const pending = signal(false);
    const canceled = signal(false);
    let controller: AbortController | undefined;

    const run = async () => {
      controller?.abort();
      const mine = (controller = new AbortController());
      canceled.set(false);
      error.set(undefined);
      pending.set(true);
      try {
        const result = await fn(input, mine.signal);
        if (mine.signal.aborted) throw new DOMException("", "AbortError");
        value.set(result);
        version.set(version.get() + 1);
      } catch (e) {
        if (controller !== mine) return; // retried meanwhile
        const err = toError(e);
        canceled.set(isCanceled(err));
        error.set(err);
      } finally {
        if (controller === mine) pending.set(false);
      }
    };

    const submission: Submission<I, O> = {
      input,
      value,
      error,
      pending,
      canceled,
      cancel: () => controller?.abort(),
      retry: run,
    };
    submissions.set([...submissions.get(), submission]);
    return Object.assign(submission, { done: run() });
  };

  return {
    submissions,
    version,
    dispatch,
    remove(submission) {
      submissions.set(submissions.get().filter((s) => s !== submission));
    },
  };
}
