import type { ServerFnError } from "../protocol/errors.js";
import { formRequest, type FormRequest } from "./form-request.js";
import { request, type Reply } from "./request.js";
import { isCanceled, toError } from "./to-error.js";
import { ATTR } from "../protocol/wire.js";

/**
 * Upgrades every `form[data-isoform]` on the page, now or later, to submit with fetch:
 * one delegated `submit` listener, so forms inserted by htmx or by this script need no
 * set-up. A form the script cannot send exactly like the browser (another origin,
 * another target) is left to the browser.
 *
 * The state machine is the one of `createAction` / `createMultiAction` (client/action.ts,
 * client/multi-action.ts), written out over the DOM here so the page's script stays small.
 */
export function enhance(root: Document = document): void {
  root.addEventListener("submit", onSubmit);
  // Multi-action forms load their part now if the page has one, else on first submit.
  if (root.querySelector(`[${ATTR.multi}]`)) void multiForms();
  // Typing into a multi-action form after its reset makes its next submit a real one.
  root.addEventListener("input", (e) => {
    const state = forms.get((e.target as HTMLInputElement).form!);
    if (state) state.reset = 0;
  });
  // Leaving the page would lose a submission still on its way: the browser asks first.
  addEventListener("beforeunload", (e) => {
    if (sending) e.preventDefault();
  });
}

/** Submissions on their way (action and multi-action), for the `beforeunload` prompt. */
let sending = 0;

export interface FormState {
  /** the pending request of an action form */
  ctrl?: AbortController;
  /** successful submissions so far */
  version: number;
  /** submissions waiting their turn (`data-isoform-mode="queue"`) */
  queue: FormRequest[];
  /** when a multi-action form was last reset by a submit, until it is typed into */
  reset?: number;
}
const forms = new WeakMap<HTMLFormElement, FormState>();

type Settled = { reply?: Reply; error?: ServerFnError };

async function post(sub: FormRequest, signal: AbortSignal, form: HTMLFormElement): Promise<Settled> {
  sending++;
  try {
    // Its method and body (the rest fetch ignores). A multipart form (one that can hold
    // files), or one that asks for progress with a [data-isoform-progress] element, goes by
    // XMLHttpRequest: fetch reports no upload progress.
    return { reply: await request(sub.url, { ...sub, signal }, sub.body instanceof FormData || form.querySelector("[data-isoform-progress]") ? (await multiForms()).xhr(form) : undefined) };
  } catch (e) {
    return { error: toError(e) };
  } finally {
    sending--;
  }
}

function onSubmit(event: SubmitEvent): void {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute(ATTR.fn) || event.defaultPrevented) return;
  const sub = formRequest(form, event.submitter);
  if (!sub) return;
  event.preventDefault();
  let state = forms.get(form);
  if (!state) forms.set(form, (state = { version: 0, queue: [] }));
  if (form.hasAttribute(ATTR.multi)) {
    // A double click: the second submit would send the form just reset, empty.
    if (Date.now() - (state.reset ?? 0) < 1000) return;
    void multiForms().then((m) => m.submitMulti(KIT, form, state, sub));
    return;
  }
  if (state.ctrl) {
    const mode = form.getAttribute(ATTR.mode);
    // Default: a second click while pending is a double submit, not a new request.
    if (mode === "queue") state.queue.push(sub);
    if (mode !== "abort") return;
  }
  void submitAction(form, state, sub);
}

// ---- lazy chunks ------------------------------------------------------------------------

// Multi-action forms (client/multi-form.ts), loaded only by pages that have one.
let multi: Promise<typeof import("./multi-form.js")> | undefined;
const multiForms = () => (multi ??= import("./multi-form.js"));

// What a settled submission shows and says (client/feedback.ts); `script()` preloads it.
let feedback: Promise<typeof import("./feedback.js")> | undefined;
const feedbackChunk = () => (feedback ??= import("./feedback.js").then((m) => (m.useKit(KIT), m)));

/**
 * What the multi-form module uses from this one, handed over rather than imported: an
 * import would move these into a chunk shared by both, one more request for every page.
 */
export const KIT = { post, emit, finish, isCanceled, feedbackChunk, ATTR };
export type Kit = typeof KIT;

// ---- action forms ------------------------------------------------------------------

async function submitAction(form: HTMLFormElement, state: FormState, sub: FormRequest): Promise<void> {
  if (!emit(form, "submit", sub, state)) return;
  state.ctrl?.abort(); // mode "abort": the latest submission wins
  const ctrl = (state.ctrl = new AbortController());
  // Busy, not disabled: a disabled button would drop keyboard focus to the page, and a
  // second submit while pending is already ignored (or aborts, or queues) by its mode.
  form.setAttribute("aria-busy", "true");
  emit(form, "pending", sub, state);
  const ready = feedbackChunk(); // loading while the request is out
  const { reply, error } = await post(sub, ctrl.signal, form);
  const fb = await ready;
  if (state.ctrl !== ctrl) return; // superseded: the newer submission owns the form
  state.ctrl = undefined;
  form.removeAttribute("aria-busy");
  if (reply?.redirect !== undefined) return location.assign(reply.redirect);
  if (error) fb.showFailure(form, error); // the input stays as typed: only the error markup changes
  else {
    fb.showSuccess(form, sub, reply!.value);
    void fb.refresh(form);
  }
  finish(form, sub, state, reply?.value, error);
  const next = state.queue.shift();
  if (next) void submitAction(form, state, next);
}

// ---- outcome and events ----------------------------------------------------------------

function finish(form: HTMLFormElement, sub: FormRequest, state: FormState, value: unknown, error?: ServerFnError): void {
  if (!error) state.version++;
  emit(form, error ? "error" : "success", sub, state, value, error);
  emit(form, "done", sub, state, value, error);
}

/**
 * Dispatches `isoform:<type>` (docs/client.md lists them) on the form, bubbling to
 * document; false when a listener canceled it.
 */
function emit(form: HTMLFormElement, type: "submit" | "pending" | "success" | "error" | "done", sub: FormRequest, state: FormState, value?: unknown, error?: ServerFnError): boolean {
  const detail = { name: form.getAttribute(ATTR.fn), key: form.getAttribute(ATTR.key) ?? undefined, input: sub.input, value, error, version: state.version };
  return form.dispatchEvent(new CustomEvent("isoform:" + type, { bubbles: true, cancelable: type === "submit", detail }));
}
