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
