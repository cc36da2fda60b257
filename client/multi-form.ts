import type { ServerFnError } from "../protocol/errors.js";
import type { FormState, Kit } from "./enhance.js";
import type { FormRequest } from "./form-request.js";

// Upload progress shares this lazy chunk: one request for the pages that need either.
export { xhr } from "./upload.js";

/**
 * Multi-action forms (docs/client.md): each submit becomes a submission rendered at once from the
 * form's `<template>` into its list, with a state attribute, cancel and retry, while the
 * form resets for the next one. Loaded lazily by client/enhance.ts, which hands over what
 * this needs (`kit`) so the two share no chunk.
 */
export function submitMulti(kit: Kit, form: HTMLFormElement, state: FormState, sub: FormRequest): void {
  const { ATTR, emit, post } = kit;
  if (!emit(form, "submit", sub, state)) return;
  const list = document.querySelector(form.getAttribute(ATTR.multi)!);
  const node = form.querySelector("template")?.content.firstElementChild?.cloneNode(true) as HTMLElement | undefined;
  const $ = (attr: string) => [...(node?.querySelectorAll<HTMLElement>(`[${attr}]`) ?? [])];
  let ctrl: AbortController | undefined;

  const run = async () => {
    const mine = (ctrl = new AbortController());
    show("pending");
    emit(form, "pending", sub, state);
    const { reply, error } = await post(sub, mine.signal, form);
    if (ctrl !== mine) return; // retried meanwhile
    ctrl = undefined;
    if (reply?.redirect !== undefined) return location.assign(reply.redirect);
    if (error?.type === "Validation") {
      // Input the user must fix goes back into the form, next to its errors, rather than
      // into a list item where it cannot be edited.
      node?.remove();
      restore(form, sub.pairs);
      kit.showErrors(form, error)?.focus();
    } else show(error ? (kit.isCanceled(error) ? "canceled" : "error") : "success", error);
    kit.finish(form, sub, state, reply?.value, error);
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
  state.reset = Date.now();
  kit.clearErrors(form);
  void run();
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
