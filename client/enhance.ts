import type { ServerFnError } from "./errors.js";
import { clearErrors, showErrors } from "./form-errors.js";
import { formSubmission, type FormSubmission } from "./form-submission.js";
import { announce } from "./live-region.js";
import { request, type Reply } from "./request.js";
import { isCanceled, toError } from "./to-error.js";
import { ATTR } from "./wire.js";

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
}

interface FormState {
  /** the pending request of an action form */
  ctrl?: AbortController;
  /** successful submissions so far */
  version: number;
  /** submissions waiting their turn (`data-isoform-mode="queue"`) */
  queue: FormSubmission[];
}
const forms = new WeakMap<HTMLFormElement, FormState>();

type Outcome = { reply?: Reply; error?: ServerFnError };

async function send(sub: FormSubmission, signal: AbortSignal): Promise<Outcome> {
  try {
    return { reply: await request(sub.url, { method: sub.method, body: sub.body, signal }) };
  } catch (e) {
    return { error: toError(e) };
  }
}

function onSubmit(event: SubmitEvent): void {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute(ATTR.fn) || event.defaultPrevented) return;
  const sub = formSubmission(form, event.submitter);
  if (!sub) return;
  event.preventDefault();
  let state = forms.get(form);
  if (!state) forms.set(form, (state = { version: 0, queue: [] }));
  if (form.hasAttribute(ATTR.multi)) return submitMulti(form, state, sub);
  if (state.ctrl) {
    const mode = form.getAttribute(ATTR.mode);
    // Default: a second click while pending is a double submit, not a new request.
    if (mode === "queue") state.queue.push(sub);
    if (mode !== "abort") return;
  }
  void submitAction(form, state, sub);
}

// ---- action forms ------------------------------------------------------------------

async function submitAction(form: HTMLFormElement, state: FormState, sub: FormSubmission): Promise<void> {
  if (!emit(form, "submit", sub, state)) return;
  state.ctrl?.abort(); // mode "abort": the latest submission wins
  const ctrl = (state.ctrl = new AbortController());
  form.setAttribute("aria-busy", "true");
  const buttons = [...form.elements].filter(
    (el): el is HTMLButtonElement => (el as HTMLButtonElement).type === "submit" && !(el as HTMLButtonElement).disabled,
  );
  for (const b of buttons) b.disabled = true;
  emit(form, "pending", sub, state);
  const { reply, error } = await send(sub, ctrl.signal);
  if (state.ctrl !== ctrl) return; // superseded: the newer submission owns the form
  state.ctrl = undefined;
  form.removeAttribute("aria-busy");
  for (const b of buttons) b.disabled = false;
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
    finish(form, sub, state, reply!.value);
  }
  const next = state.queue.shift();
  if (next) void submitAction(form, state, next);
}

// ---- multi-action forms --------------------------------------------------------------

function submitMulti(form: HTMLFormElement, state: FormState, sub: FormSubmission): void {
  if (!emit(form, "submit", sub, state)) return;
  const list = document.querySelector(form.getAttribute(ATTR.multi)!);
  const node = form.querySelector("template")?.content.firstElementChild?.cloneNode(true) as HTMLElement | undefined;
  const $ = (attr: string) => [...(node?.querySelectorAll<HTMLElement>(`[${attr}]`) ?? [])];
  let ctrl: AbortController | undefined;

  const run = async () => {
    const mine = (ctrl = new AbortController());
    show("pending");
    emit(form, "pending", sub, state);
    const { reply, error } = await send(sub, mine.signal);
    if (ctrl !== mine) return; // retried meanwhile
    ctrl = undefined;
    if (reply?.redirect !== undefined) return location.assign(reply.redirect);
    if (error?.type === "Validation") {
      // Input the user must fix goes back into the form, next to its errors, rather than
      // into a list item where it cannot be edited; a field typed into since is not touched.
      node?.remove();
      for (const [k, v] of sub.pairs) {
        const el = form.elements.namedItem(k) as HTMLInputElement | null;
        if (el && !el.value && el.type !== "file") el.value = v;
      }
      showErrors(form, error)?.focus();
    } else show(error ? (isCanceled(error) ? "canceled" : "error") : "success", error);
    finish(form, sub, state, reply?.value, error);
    // Succeeded: the refreshed list (isoform:done told htmx to refetch) now shows it.
    if (!error) node?.remove();
  };

  const show = (st: string, error?: ServerFnError) => {
    node?.setAttribute(ATTR.state, st);
    for (const el of $(ATTR.error)) el.textContent = st === "error" ? error!.message : "";
    for (const el of $(ATTR.retry)) el.hidden = st === "pending";
    for (const el of $(ATTR.cancel)) el.hidden = st !== "pending";
  };

  for (const el of $(ATTR.field)) {
    const v = sub.input[el.getAttribute(ATTR.field)!];
    el.textContent = Array.isArray(v) ? v.join(", ") : (v ?? "");
  }
  for (const el of $(ATTR.cancel)) el.onclick = () => ctrl?.abort();
  for (const el of $(ATTR.retry)) el.onclick = () => void run();
  if (node) list?.append(node);
  // The input lives on in the submission, so the form is ready for the next one at once.
  form.reset();
  clearErrors(form);
  void run();
}

// ---- outcome and events ----------------------------------------------------------------

function finish(form: HTMLFormElement, sub: FormSubmission, state: FormState, value: unknown, error?: ServerFnError): void {
  if (!error) state.version++;
  const issues = error?.type === "Validation" && error.issues?.map((i) => i.message).join(". ");
  announce(error ? issues || error.message : form.dataset.isoformSuccess || "Done.");
  emit(form, error ? "error" : "success", sub, state, value, error);
  emit(form, "done", sub, state, value, error);
}

/**
 * Dispatches `isoform:<type>` (the names of EVENT in wire.ts) on the form, bubbling to
 * document; false when a listener canceled it.
 */
function emit(form: HTMLFormElement, type: "submit" | "pending" | "success" | "error" | "done", sub: FormSubmission, state: FormState, value?: unknown, error?: ServerFnError): boolean {
  const detail = { name: form.getAttribute(ATTR.fn), key: form.getAttribute(ATTR.key) ?? undefined, input: sub.input, value, error, version: state.version };
  return form.dispatchEvent(new CustomEvent("isoform:" + type, { bubbles: true, cancelable: type === "submit", detail }));
}
