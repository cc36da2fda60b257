import { fillText } from "../protocol/fill-text.js";
import type { FormState, Kit } from "./enhance.js";
import type { FormRequest } from "./form-request.js";

// Upload progress shares this lazy chunk: one request for the pages that need either.
export { xhr } from "./upload.js";

/**
 * Multi-action forms (docs/client.md): each submit becomes a submission rendered at once from the
 * form's `<template>` into its list, with a state attribute, cancel, retry and dismiss, while the
 * form resets for the next one. Loaded lazily by client/enhance.ts, which hands over what
 * this needs (`kit`) so the two share no chunk.
 *
 * Focus never falls to the page: a button hidden by a change of state (Retry once
 * pending, Cancel once settled) hands it to the first button shown, and a submission
 * removed while it holds focus (succeeded, dismissed) hands it to the form's first field.
 */
export function submitMulti(kit: Kit, form: HTMLFormElement, state: FormState, sub: FormRequest): void {
  const { ATTR, emit, post } = kit;
  if (!emit(form, "submit", sub, state)) return;
  const list = document.querySelector<HTMLElement>(form.getAttribute(ATTR.multi)!);
  const node = form.querySelector("template")?.content.firstElementChild?.cloneNode(true) as HTMLElement | undefined;
  const $ = (attr: string) => [...(node?.querySelectorAll<HTMLElement>(`[${attr}]`) ?? [])];
  let ctrl: AbortController | undefined;

  const run = async () => {
    const mine = (ctrl = new AbortController());
    show("pending");
    emit(form, "pending", sub, state);
    const ready = kit.feedbackChunk();
    const { reply, error } = await post(sub, mine.signal, form);
    const fb = await ready;
    if (ctrl !== mine) return; // retried meanwhile
    ctrl = undefined;
    if (reply?.redirect !== undefined) return location.assign(reply.redirect);
    if (error?.type === "Validation") {
      // Input the user must fix goes back into the form, next to its errors, rather than
      // into a list item where it cannot be edited.
      remove();
      restore(form, sub.pairs);
      fb.showFailure(form, error);
    } else if (error) {
      show(kit.isCanceled(error) ? "canceled" : "error", error.message);
      if (!kit.isCanceled(error)) fb.announce(error.message);
    }
    // Succeeded: it stays, marked, until the refreshed list shows the real item. The refresh
    // starts before `isoform:success` goes out, as htmx fetches on that event.
    let refreshed: Promise<void> | undefined;
    if (!error) {
      show("success");
      fb.announceSuccess(form, sub, reply!.value);
      refreshed = fb.refresh(form);
    }
    kit.finish(form, sub, state, reply?.value, error);
    if (refreshed) {
      await refreshed;
      remove();
    }
  };

  const show = (st: string, message = "") => {
    const focused = document.activeElement as HTMLElement | null;
    node?.setAttribute(ATTR.state, st);
    for (const el of $(ATTR.error)) el.textContent = message;
    for (const el of $(ATTR.when)) el.hidden = !el.getAttribute(ATTR.when)!.split(" ").includes(st);
    for (const el of $(ATTR.retry)) el.hidden = st === "pending" || st === "success";
    for (const el of $(ATTR.cancel)) el.hidden = st !== "pending";
    for (const el of $(ATTR.dismiss)) el.hidden = st !== "error" && st !== "canceled";
    // A button that hides as the state changes hands focus to the first one shown
    // (Cancel to Retry, Retry to Cancel), or to the form when none is (a success).
    if (focused?.hidden && node?.contains(focused)) (node.querySelector<HTMLElement>("button:not([hidden])") ?? firstField(form))?.focus();
    busy();
  };

  const remove = () => {
    const hadFocus = node?.contains(document.activeElement);
    node?.remove();
    busy();
    if (hadFocus) firstField(form)?.focus();
  };

  /** The list is busy while any of its submissions is pending. */
  const busy = () => {
    if (list) list.setAttribute("aria-busy", String(!!list.querySelector(`[${ATTR.state}=pending]`)));
  };

  for (const el of $(ATTR.field)) {
    const v = sub.input[el.getAttribute(ATTR.field)!];
    el.textContent = Array.isArray(v) ? v.join(", ") : (v ?? "");
  }
  // Buttons named after their item: "Retry “{title}”".
  for (const el of node ? [node, ...node.querySelectorAll<HTMLElement>("[aria-label]")] : []) {
    const label = el.getAttribute("aria-label");
    if (label) el.setAttribute("aria-label", fillText(label, undefined, sub.input));
  }
  for (const el of $(ATTR.cancel))
    el.onclick = () => {
      ctrl?.abort();
      show("canceled"); // now: the request ends a moment later
    };
  for (const el of $(ATTR.retry)) el.onclick = () => void run();
  for (const el of $(ATTR.dismiss)) el.onclick = remove;
  if (node) list?.append(node);
  // The input lives on in the submission, so the form is ready for the next one at once.
  form.reset();
  state.reset = Date.now();
  void kit.feedbackChunk().then((fb) => fb.clearFailure(form));
  void run();
}

/** Where focus goes when the submission holding it goes away: the form's first field. */
function firstField(form: HTMLFormElement): HTMLElement | undefined {
  return [...form.elements].find((el): el is HTMLElement => el instanceof HTMLElement && !/hidden|submit|button/.test((el as HTMLInputElement).type));
}

/**
 * Puts submitted values back into a form that was reset: boxes and options checked as they
 * were, the nth field of a repeated name gets the nth value; a text field typed into since
 * is left alone.
 */
function restore(form: HTMLFormElement, pairs: [string, string][]): void {
  const used: Record<string, number> = {};
  for (const el of form.elements as unknown as HTMLInputElement[]) {
    const type = el.type;
    if (!el.name || /file|submit|button|hidden/.test(type)) continue;
    const values = pairs.filter(([k]) => k === el.name).map(([, v]) => v);
    if (/checkbox|radio/.test(type)) el.checked = values.includes(el.value);
    else if (type.startsWith("select")) for (const o of (el as unknown as HTMLSelectElement).options) o.selected = values.includes(o.value);
    else if (!el.value) el.value = values[(used[el.name] = (used[el.name] ?? -1) + 1)] ?? "";
  }
}
