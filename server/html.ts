import { response, type ResponseAnswer } from "./answer.js";
import type { Outcome } from "./outcome.js";

/** Escapes text for HTML content and double-quoted attributes. */
export function escapeHtml(value: unknown): string {
  const s = value === undefined || value === null ? "" : String(value);
  return /[&<>"']/.test(s) ? s.replace(/[&<>"']/g, (c) => ESCAPES[c]!) : s;
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** A minimal page for a browser that navigated to a request we must refuse outright. */
export function errorPage(status: number, title: string, message: string, back = "/"): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>` +
    `<body><main><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p>` +
    `<p><a href="${escapeHtml(back)}">Go back</a></p><p><small>Status ${status}</small></p></main></body></html>`;
}

/**
 * The page for a refused form submission whose return page cannot render it: the error
 * and every field typed (sensitive ones were removed before), to copy back, so nothing is
 * lost. Every adapter's last page renderer.
 */
export function submissionPage(outcome: Outcome, status: number): ResponseAnswer {
  const fields = Object.entries(flatten(outcome.input ?? {}))
    .map(([k, v]) => `<p><label>${escapeHtml(k)}<br><textarea readonly rows="3" cols="60">${escapeHtml(v)}</textarea></label></p>`)
    .join("");
  const html = errorPage(status, "Your submission was not accepted", outcome.error?.message ?? "", outcome.to).replace("</main>", `${fields}</main>`);
  return response(status, "text/html; charset=utf-8", html, { "Cache-Control": "no-store" });
}

function flatten(v: unknown, prefix = ""): Record<string, string> {
  if (v === null || typeof v !== "object") return { [prefix]: String(v ?? "") };
  const out: Record<string, string> = {};
  for (const [k, child] of Object.entries(v)) Object.assign(out, flatten(child, prefix ? `${prefix}[${k}]` : k));
  return out;
}
