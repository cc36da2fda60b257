import type { ServerFnError } from "./errors.js";
import { ATTR } from "./wire.js";

/**
 * Shows an error in the containers the server's helpers render inside the form
 * (docs/markup.md), so a page looks the same with JavaScript on and off. Returns the
 * first invalid field.
 */
export function showErrors(form: HTMLFormElement, error: ServerFnError): HTMLElement | undefined {
  clearErrors(form);
  const general: string[] = [];
  let first: HTMLElement | undefined;
  for (const issue of error.issues ?? []) {
    const name = fieldName(issue.path);
    const [container, field] = candidates(name).map((n) => [container_(form, n), fieldOf(form, n)] as const).find(([c]) => c) ?? [];
    if (!container || !name) {
      general.push(issue.message);
      continue;
    }
    write(container, container.textContent ? `${container.textContent}. ${issue.message}` : issue.message);
    if (field) {
      field.setAttribute("aria-invalid", "true");
      field.setAttribute("aria-describedby", container.id);
      first ??= field;
    }
  }
  const formLevel = container_(form, "");
  const message = error.type === "Validation" ? general.join(". ") : error.message;
  if (formLevel && message) write(formLevel, message);
  return first;
}

export function clearErrors(form: HTMLFormElement): void {
  for (const el of form.querySelectorAll<HTMLElement>(`[${ATTR.error}]`)) {
    el.textContent = "";
    el.hidden = true;
  }
  for (const el of form.querySelectorAll("[aria-invalid]")) {
    el.removeAttribute("aria-invalid");
    el.removeAttribute("aria-describedby");
  }
}

function write(el: HTMLElement, text: string) {
  el.textContent = text;
  el.hidden = false;
}

/** `["address", "city"]` → `address[city]` (the form's own field name). */
function fieldName(path: (string | number)[]): string {
  return path.map((p, i) => (i ? `[${p}]` : String(p))).join("");
}

/** `tags[2]` is shown where `tags[2]`, else `tags[]`, else `tags` is. */
function candidates(name: string): string[] {
  const base = name.replace(/\[\d+\]$/, "");
  return base === name ? [name] : [name, `${base}[]`, base];
}

function container_(form: HTMLFormElement, name: string): HTMLElement | null {
  return form.querySelector<HTMLElement>(`[${ATTR.error}="${CSS.escape(name)}"]`);
}

function fieldOf(form: HTMLFormElement, name: string): HTMLElement | undefined {
  const el = form.elements.namedItem(name);
  return (el instanceof RadioNodeList ? (el[0] as HTMLElement | undefined) : (el as HTMLElement | null)) ?? undefined;
}
