import type { ServerFnError } from "../protocol/errors.js";
import { fieldName } from "../protocol/field-path.js";
import { kit } from "./lazy-kit.js";

/** What `showErrors` showed: the first invalid field, and every message with its field (for the summary). */
export interface Shown {
  first?: HTMLElement;
  items: { message: string; field?: HTMLElement }[];
}

/**
 * Shows an error in the containers the server's helpers render inside the form
 * (docs/markup.md), so a page looks the same with JavaScript on and off.
 */
export function showErrors(form: HTMLFormElement, error: ServerFnError): Shown {
  clearErrors(form);
  const general: string[] = [];
  const items: Shown["items"] = [];
  let first: HTMLElement | undefined;
  for (const issue of error.issues ?? []) {
    const name = fieldName(issue.path);
    const index = /\[(\d+)\]$/.exec(name)?.[1];
    const [container, field] = candidates(name).map((n) => [container_(form, n), fieldOf(form, n, index)] as const).find(([c]) => c) ?? [];
    if (!container || !name) {
      general.push(issue.message);
      items.push({ message: issue.message });
      continue;
    }
    items.push({ message: issue.message, field });
    write(container, container.textContent ? `${container.textContent}. ${issue.message}` : issue.message);
    if (field) {
      field.setAttribute("aria-invalid", "true");
      // Added to the field's own descriptions (a hint), not in their place.
      field.setAttribute("aria-describedby", `${field.getAttribute("aria-describedby") ?? ""} ${container.id}`.trim());
      first ??= field;
    }
  }
  const formLevel = container_(form, "");
  const message = error.type === "Validation" ? general.join(". ") : error.message;
  if (formLevel && message) write(formLevel, message);
  if (error.type !== "Validation" || !error.issues?.length) items.push({ message: error.message });
  return { first, items };
}

export function clearErrors(form: HTMLFormElement): void {
  const ids: string[] = [];
  for (const el of form.querySelectorAll<HTMLElement>(`[${kit.ATTR.error}]`)) {
    el.textContent = "";
    el.hidden = true;
    ids.push(el.id);
  }
  for (const el of form.querySelectorAll("[aria-invalid]")) {
    el.removeAttribute("aria-invalid");
    // Only the error's id goes: a hint the field was described by stays.
    const rest = el.getAttribute("aria-describedby")?.split(" ").filter((id) => !ids.includes(id)).join(" ");
    if (rest) el.setAttribute("aria-describedby", rest);
    else el.removeAttribute("aria-describedby");
  }
}

function write(el: HTMLElement, text: string) {
  el.textContent = text;
  el.hidden = false;
}


/** `tags[2]` is shown where `tags[2]`, else `tags[]`, else `tags` is; `tags` where `tags`, else `tags[]` is. */
function candidates(name: string): string[] {
  const base = name.replace(/\[\d+\]$/, "");
  return base === name ? [name, `${name}[]`] : [name, `${base}[]`, base];
}

function container_(form: HTMLFormElement, name: string): HTMLElement | null {
  return form.querySelector<HTMLElement>(`[${kit.ATTR.error}="${CSS.escape(name)}"]`);
}

/** The field named `name`; of several with that name (`tags[]`, a radio group), the `index`th or the first. */
function fieldOf(form: HTMLFormElement, name: string, index: string | undefined): HTMLElement | undefined {
  const el = form.elements.namedItem(name);
  return (el instanceof RadioNodeList ? (el[Number(index ?? 0)] as HTMLElement | undefined) : (el as HTMLElement | null)) ?? undefined;
}
