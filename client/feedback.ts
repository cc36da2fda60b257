import type { ServerFnError } from "../protocol/errors.js";
import { fillText } from "../protocol/fill-text.js";
import { clearErrors, showErrors, type Shown } from "./form-errors.js";
import type { FormRequest } from "./form-request.js";
import { kit } from "./lazy-kit.js";
import { announce } from "./live-region.js";

/**
 * What a page shows and says once a submission settles (docs/markup.md): errors by their
 * fields and in the form's error summary, the "Error: " title prefix, focus, the live
 * region, and the regions a success refreshes. A lazy chunk (the page's `script()` preloads
 * it): the core script only sends and receives.
 */

const PREFIX = "Error: ";

export { announce };
export { useKit } from "./lazy-kit.js";

/**
 * A failed submission: each error by its field, all of them in the summary, the title
 * prefixed, focus on the summary (else the first invalid field). Said once: what focus
 * reads is not also announced; an error nothing can take focus for goes to the live region.
 */
export function showFailure(form: HTMLFormElement, error: ServerFnError): void {
  hideNotices();
  const shown = showErrors(form, error);
  const summary = showSummary(form, shown);
  if (!document.title.startsWith(PREFIX)) document.title = PREFIX + document.title;
  const target = summary ?? shown.first;
  if (target) target.focus();
  else announce(shown.items.map((i) => i.message).join(". ") || error.message);
}

/**
 * A successful submission of an action form: errors and summary cleared, the title's
 * prefix gone, `[data-isoform-value]` elements filled, the form reset or focus moved if it
 * asks, and its success text announced.
 */
export function showSuccess(form: HTMLFormElement, sub: FormRequest, value: unknown): void {
  clearFailure(form);
  for (const el of form.querySelectorAll<HTMLElement>(`[${kit.ATTR.value}]`)) {
    const path = el.getAttribute(kit.ATTR.value);
    const v = path ? (value as Record<string, unknown> | null)?.[path] : value;
    el.textContent = v == null ? "" : typeof v === "object" ? JSON.stringify(v) : String(v);
  }
  if (form.hasAttribute(kit.ATTR.reset)) form.reset();
  const focus = form.getAttribute(kit.ATTR.focus);
  if (focus) document.querySelector<HTMLElement>(focus)?.focus();
  announceSuccess(form, sub, value);
}

/** The form's success text (`form(fn, { success })`) with its `{field}`s filled, else "Done.". */
export function announceSuccess(form: HTMLFormElement, sub: FormRequest, value: unknown): void {
  hideNotices();
  const text = form.getAttribute(kit.ATTR.success);
  announce(text ? fillText(text, value, sub.input) : "Done.");
}

/** A notice of an earlier submission (rendered by the server) would now say the wrong thing. */
function hideNotices(): void {
  for (const el of document.querySelectorAll<HTMLElement>(`[${kit.ATTR.notice}]`)) el.hidden = true;
}

export function clearFailure(form: HTMLFormElement): void {
  clearErrors(form);
  const summary = form.querySelector<HTMLElement>(`[${kit.ATTR.summary}]`);
  if (summary) summary.hidden = true;
  // Another form on the page may still show errors: the prefix stays while one does.
  if (document.title.startsWith(PREFIX) && !document.querySelector(`[${kit.ATTR.summary}]:not([hidden]), form [${kit.ATTR.error}]:not([hidden]):not(:empty)`)) {
    document.title = document.title.slice(PREFIX.length);
  }
}

/**
 * Fills the form's error summary (the server's `errorSummary()` markup, hidden while empty):
 * one item per error, a link to its field where it has one. Returns it, or undefined when
 * the form has none.
 */
function showSummary(form: HTMLFormElement, shown: Shown): HTMLElement | undefined {
  const summary = form.querySelector<HTMLElement>(`[${kit.ATTR.summary}]`);
  const list = summary?.querySelector("ul");
  if (!summary || !list) return undefined;
  list.replaceChildren(
    ...shown.items.map(({ message, field }) => {
      const li = document.createElement("li");
      if (field?.id) {
        const a = document.createElement("a");
        a.href = "#" + field.id;
        a.textContent = message;
        // Focus the field itself (a link to it only scrolls in some browsers), its label in view.
        a.onclick = (e) => {
          e.preventDefault();
          field.focus();
          (field as HTMLInputElement).labels?.[0]?.scrollIntoView({ block: "nearest" });
        };
        li.append(a);
      } else li.textContent = message;
      return li;
    }),
  );
  summary.hidden = false;
  return summary;
}

// ---- regions refreshed after a success (`form(fn, { refresh })`) ---------------------

/** Refreshes not yet started, by selector: a burst of successes shares one. */
const queued = new Map<string, Promise<void>>();
let chain: Promise<void> = Promise.resolve();

/**
 * Brings the form's `refresh` regions up to date and resolves once they are: by htmx when
 * the page has it and the regions say how (`hx-get`, its trigger on `isoform:success`), else
 * by fetching the current page and swapping each region's content. Refreshes run one after
 * another, so an older page never lands over a newer one.
 */
export function refresh(form: HTMLFormElement): Promise<void> {
  const selector = form.getAttribute(kit.ATTR.refresh);
  if (!selector) return Promise.resolve();
  const regions = [...document.querySelectorAll<HTMLElement>(selector)];
  if ((window as { htmx?: unknown }).htmx && regions.length && regions.every((r) => r.hasAttribute("hx-get"))) return changed(regions);
  let next = queued.get(selector);
  if (!next) {
    next = chain = chain.then(() => {
      queued.delete(selector);
      return swap(selector);
    });
    queued.set(selector, next);
  }
  return next;
}

async function swap(selector: string): Promise<void> {
  try {
    const res = await fetch(location.href, { headers: { accept: "text/html" } });
    if (!res.ok) return;
    const fresh = new DOMParser().parseFromString(await res.text(), "text/html").querySelectorAll(selector);
    const active = document.activeElement;
    document.querySelectorAll(selector).forEach((region, i) => {
      const from = fresh[i];
      if (from) region.replaceChildren(...from.childNodes);
    });
    // Focus stays where it was: on the element of the same id, if it was inside a region.
    if (active && active !== document.body && !active.isConnected && active.id) document.getElementById(active.id)?.focus();
  } catch {
    // Offline or the page failed: the region stays as it was, as it would without the script.
  }
}

/**
 * Resolves once htmx has swapped a region with the answer to a request it began after this
 * success (an earlier request's answer may not hold the new item yet), or after 10 s if it
 * never does. Called before `isoform:success` is dispatched, which is what htmx fetches on.
 */
function changed(regions: HTMLElement[]): Promise<void> {
  return new Promise((resolve) => {
    const asked = new Set<EventTarget>();
    const onRequest = (e: Event) => asked.add(e.currentTarget!);
    const onSwap = (e: Event) => {
      if (asked.has(e.currentTarget!)) done();
    };
    const done = () => {
      for (const r of regions) {
        r.removeEventListener("htmx:before:request", onRequest);
        r.removeEventListener("htmx:after:swap", onSwap);
      }
      clearTimeout(timer);
      resolve();
    };
    for (const r of regions) {
      r.addEventListener("htmx:before:request", onRequest);
      r.addEventListener("htmx:after:swap", onSwap);
    }
    const timer = setTimeout(done, 10_000);
  });
}
