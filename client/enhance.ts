import type { ServerFnError } from "../protocol/errors.js";
import { clearErrors, showErrors } from "./form-errors.js";
import { formRequest, type FormRequest } from "./form-request.js";
import { announce } from "./live-region.js";
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
}

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
  try {
    // Its method and body (the rest fetch ignores). A multipart form (one that can hold
    // files), or one that asks for progress with a [data-isoform-progress] element, goes by
    // XMLHttpRequest: fetch reports no upload progress.
    return { reply: await request(sub.url, { ...sub, signal }, sub.body instanceof FormData || form.querySelector("[data-isoform-progress]") ? (await multiForms()).xhr(form) : undefined) };
  } catch (e) {
    return { error: toError(e) };
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

// ---- multi-action forms: client/multi-form.ts, loaded only by pages that have one ------

let multi: Promise<typeof import("./multi-form.js")> | undefined;
const multiForms = () => (multi ??= import("./multi-form.js"));

/**
 * What the multi-form module uses from this one, handed over rather than imported: an
 * import would move these into a chunk shared by both, one more request for every page.
 */
export const KIT = { post, emit, finish, showErrors, clearErrors, isCanceled, ATTR };
export type Kit = typeof KIT;

// ---- action forms ------------------------------------------------------------------

async function submitAction(form: HTMLFormElement, state: FormState, sub: FormRequest): Promise<void> {
  if (!emit(form, "submit", sub, state)) return;
  state.ctrl?.abort(); // mode "abort": the latest submission wins
  const ctrl = (state.ctrl = new AbortController());
  form.setAttribute("aria-busy", "true");
  // Disabled buttons would refuse the very next submit that "abort" and "queue" are for.
  const buttons = /abort|queue/.test(form.getAttribute(ATTR.mode)!)
    ? []
    : [...form.elements].filter((el): el is HTMLButtonElement => (el as HTMLButtonElement).type === "submit" && !(el as HTMLButtonElement).disabled);
  // A button loses focus when disabled: it gets it back after, unless focus moved on.
  const focused = buttons.find((b) => b === document.activeElement);
  for (const b of buttons) b.disabled = true;
  emit(form, "pending", sub, state);
  const { reply, error } = await post(sub, ctrl.signal, form);
  if (state.ctrl !== ctrl) return; // superseded: the newer submission owns the form
  state.ctrl = undefined;
  form.removeAttribute("aria-busy");
  for (const b of buttons) b.disabled = false;
  if (document.activeElement === document.body) focused?.focus();
  if (reply?.redirect !== undefined) return location.assign(reply.redirect);
  if (error) {
    // The input stays as typed: only the error markup changes.
    showErrors(form, error)?.focus();
    finish(form, sub, state, undefined, error);
  } else {
    clearErrors(form);
    for (const el of form.querySelectorAll<HTMLElement>(`[${ATTR.value}]`)) {
      const path = el.getAttribute(ATTR.value);
      const v = path ? (reply!.value as any)?.[path] : reply!.value;
      el.textContent = v == null ? "" : typeof v === "object" ? JSON.stringify(v) : String(v);
    }
    if (form.hasAttribute(ATTR.reset)) form.reset();
    // Before `done` lets htmx refresh the region: htmx keeps focus on an element with an id.
    const focus = form.getAttribute(ATTR.focus);
    if (focus) document.querySelector<HTMLElement>(focus)?.focus();
    finish(form, sub, state, reply!.value);
  }
  const next = state.queue.shift();
  if (next) void submitAction(form, state, next);
}

// ---- outcome and events ----------------------------------------------------------------

function finish(form: HTMLFormElement, sub: FormRequest, state: FormState, value: unknown, error?: ServerFnError): void {
  if (!error) state.version++;
  const issues = error?.type === "Validation" && error.issues?.map((i) => i.message).join(". ");
  announce(error ? issues || error.message : form.dataset.isoformSuccess || "Done.");
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
