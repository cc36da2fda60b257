import type { ErrorBody, Issue } from "../protocol/errors.js";
import { ATTR, CONTENT_TYPE, FORM_ENCTYPE, KEY_FIELD, MANIFEST_ATTR, RETURN_FIELD, SUCCESS_FIELD, SUCCESS_MAX, errorId } from "../protocol/wire.js";
import { escapeHtml } from "./html.js";
import type { Outcome } from "./outcome.js";
import { isSensitiveName } from "./outcome.js";
import { fieldName, fieldPath } from "../protocol/field-path.js";
import type { Registry } from "./registry.js";
import type { AnyServerFn } from "./server-fn.js";

/** A server function by value or by name. */
export type FnRef = AnyServerFn | string;

export interface FormOptions {
  /** which of several forms of this function this is (one delete form per todo) */
  key?: string | number;
  /** make it a multi-action form; the value is the selector of the submissions list */
  multi?: string;
  /** a second submit while pending: ignore (default), abort the first, or queue */
  mode?: "ignore" | "abort" | "queue";
  /** reset the form after a success (with the client script) */
  reset?: boolean;
  /**
   * what a success says, `{field}` filled from the result, then the input (`"“{title}” added"`):
   * announced by the live region with the client script, and shown by `notice()` on the page
   * after the redirect without it
   */
  success?: string;
  /**
   * selectors of regions (`"#todo-list"`) to bring up to date after a success, with the client
   * script: fetched from the current page and swapped, focus kept; left to htmx when the page
   * has htmx and the regions an `hx-get`. Without the script the whole page is new anyway.
   */
  refresh?: string;
  /**
   * selector of an element to focus after a success (with the client script), for a form
   * the success removes, like a delete button, so keyboard focus does not fall to the page
   */
  focus?: string;
  /** more attributes for the <form>, e.g. `{ id: "add", class: "inline" }` (escaped) */
  attrs?: Record<string, string | number | boolean>;
}

/**
 * Template helpers for one page render, in `res.locals.isoform` (eta: `it.isoform`). They
 * write the markup of docs/markup.md; strings they return as HTML are already escaped, so
 * print them raw (`<%~ %>`); `value`, `values` and `result` return data, print them escaped
 * (`<%= %>`).
 */
export class PageHelpers {
  constructor(
    private readonly registry: Registry,
    /** this page's path and query: where forms return to */
    readonly url: string,
    /** the outcome of the last submission from this page, if any */
    readonly outcome: Outcome | undefined,
    private readonly scriptUrl: string | undefined,
    /** where isoform is mounted ("" at the root): prefixed to function paths and the script URL */
    private readonly base = "",
    /** where a development warning goes (a form that cannot work without JavaScript); none in production */
    private readonly warn?: (message: string) => void,
    /** URLs of the script's chunks to preload */
    private readonly preload: readonly string[] = [],
  ) {}

  /** The opening `<form>` tag and hidden fields of a server function. Close it with `</form>`. */
  form(ref: FnRef, options: FormOptions = {}): string {
    const fn = this.fn(ref);
    if (this.warn && !(fn.encoding in FORM_ENCTYPE) && !warnedForms.has(fn.name)) {
      warnedForms.add(fn.name);
      this.warn(
        `isoform: form("${fn.name}") posts ${fn.encoding.toUpperCase()}, which a browser sends only with isoform's script: with JavaScript off this form cannot work. ` +
          `Give "${fn.name}" encoding "url" (or "multipart" for files) to serve forms without JavaScript.`,
      );
    }
    const attrs: Record<string, string | number | boolean | undefined> = {
      method: fn.method.toLowerCase(),
      action: this.base + fn.path,
      // json/cbor: not a form encoding, so a browser without JavaScript posts url-encoded (and
      // is told the form needs JavaScript); the script reads it and sends that encoding.
      enctype: FORM_ENCTYPE[fn.encoding] ?? (fn.encoding === "json" ? CONTENT_TYPE.json : CONTENT_TYPE.cbor),
      [ATTR.fn]: fn.name,
      [ATTR.key]: options.key,
      [ATTR.multi]: options.multi,
      [ATTR.mode]: options.mode,
      [ATTR.reset]: options.reset,
      [ATTR.focus]: options.focus,
      [ATTR.success]: options.success,
      [ATTR.refresh]: options.refresh,
      ...options.attrs,
    };
    let html = "<form";
    for (const [name, v] of Object.entries(attrs)) {
      if (v === undefined || v === false) continue;
      html += v === true ? ` ${escapeHtml(name)}` : ` ${escapeHtml(name)}="${escapeHtml(v)}"`;
    }
    html += `><input type="hidden" name="${RETURN_FIELD}" value="${escapeHtml(this.url)}">`;
    if (options.key !== undefined) html += `<input type="hidden" name="${KEY_FIELD}" value="${escapeHtml(options.key)}">`;
    if (options.success) html += `<input type="hidden" name="${SUCCESS_FIELD}" value="${escapeHtml(options.success.slice(0, SUCCESS_MAX))}">`;
    return html;
  }

  /**
   * The form's error summary (docs/markup.md), to put first inside the form: after a failed
   * submission, a heading and one item per error, linking to its field, focused on load
   * (`autofocus`); otherwise written hidden, for the client script to fill. Links go to
   * `#` + the field's id: `fieldId()`'s by default (the `field` partial's), or `ids[name]`.
   */
  errorSummary(ref: FnRef, options: { key?: string | number; heading?: string; ids?: Record<string, string> } = {}): string {
    const fn = this.fn(ref);
    const { key, heading = "There is a problem", ids = {} } = options;
    const err = this.failure(fn, key);
    const items: string[] = [];
    for (const issue of err?.issues ?? []) {
      const name = fieldName(issue.path);
      items.push(name ? `<li><a href="#${escapeHtml(ids[name] ?? this.fieldId(fn, name, key))}">${escapeHtml(issue.message)}</a></li>` : `<li>${escapeHtml(issue.message)}</li>`);
    }
    if (err && (err.type !== "Validation" || items.length === 0)) items.push(`<li>${escapeHtml(err.message)}</li>`);
    const id = errorId(fn.name, "summary", keyString(key));
    return (
      `<div id="${id}" class="isoform-summary" ${ATTR.summary} tabindex="-1" aria-labelledby="${id}-heading"${err ? " autofocus" : " hidden"}>` +
      `<h2 id="${id}-heading">${escapeHtml(heading)}</h2><ul>${items.join("")}</ul></div>`
    );
  }

  /**
   * The id the error summary links a field to: `update_profile-address-street` for
   * `address[street]` (the `field` partial gives its input this id).
   */
  fieldId(ref: FnRef, field: string, key?: string | number): string {
    const fn = this.fn(ref);
    const raw = [fn.name, keyString(key), ...fieldPath(field)].filter((s) => s !== "").join("-");
    return raw.replace(/[^A-Za-z0-9_-]/g, "_");
  }

  /** Escapes text for HTML content and double-quoted attributes (for markup a view builds itself). */
  escape(value: unknown): string {
    return escapeHtml(value);
  }

  /** The page's title, prefixed "Error: " when this page shows a failed submission (print escaped). */
  title(text: string): string {
    return this.outcome && !this.outcome.ok ? `Error: ${text}` : text;
  }

  /**
   * The success notice of the submission this page shows (the form's `success` text,
   * filled), focused on load so a screen reader reads it; "" when there is none. With the
   * client script the live region says the same.
   */
  notice(): string {
    const text = this.outcome?.ok ? this.outcome.notice : undefined;
    return text ? `<p class="isoform-notice" ${ATTR.notice} role="status" tabindex="-1" autofocus>${escapeHtml(text)}</p>` : "";
  }

  /**
   * The page's live region, where the client script announces outcomes: rendered with the
   * page, as screen readers miss a region created with its first message. Visually hidden.
   */
  liveRegion(): string {
    return `<div class="isoform-live" ${ATTR.live} role="status" aria-live="polite" style="${VISUALLY_HIDDEN}"></div>`;
  }

  /**
   * What the user typed into `field` at the last failed submission of this form ("" if
   * none), so nothing is lost on an error. Sensitive fields (passwords) are never returned.
   * Nested (`address[city]`) and indexed (`tags[1]`) names work; a list joins with ", ".
   */
  value(ref: FnRef, field: string, key?: string | number): string {
    const v = this.raw(ref, field, key);
    if (Array.isArray(v)) return v.map(String).join(", ");
    return v === undefined || v === null || typeof v === "object" ? "" : String(v);
  }

  /** Every value a repeated field (`tags[]`) had at the last failed submission. */
  values(ref: FnRef, field: string, key?: string | number): string[] {
    const v = this.raw(ref, field.replace(/\[\]$/, ""), key);
    if (v === undefined || v === null) return [];
    return (Array.isArray(v) ? v : [v]).filter((x) => typeof x !== "object").map(String);
  }

  /** The error container of a field (always written, hidden when empty, so the client can fill it). */
  error(ref: FnRef, field: string, key?: string | number): string {
    const fn = this.fn(ref);
    const message = this.fieldIssues(fn, field, key).map((i) => i.message).join(". ");
    return `<span id="${errorId(fn.name, field, keyString(key))}" class="isoform-error" ${ATTR.error}="${escapeHtml(field)}"${message ? "" : " hidden"}>${escapeHtml(message)}</span>`;
  }

  /** The form-level error container: errors that belong to no field (a server error, a refused upload). */
  formError(ref: FnRef, key?: string | number): string {
    const fn = this.fn(ref);
    const err = this.failure(fn, key);
    let message = "";
    if (err) {
      const general = (err.issues ?? []).filter((i) => i.path.length === 0).map((i) => i.message);
      message = err.type === "Validation" ? general.join(". ") : err.message;
    }
    return `<p id="${errorId(fn.name, "", keyString(key))}" class="isoform-error isoform-form-error" ${ATTR.error}=""${message ? "" : " hidden"}>${escapeHtml(message)}</p>`;
  }

  /**
   * `aria-invalid` and `aria-describedby` for a field whose last submission failed; with
   * `hint` (the id of the field's hint), `aria-describedby` names the hint always, and the
   * error after it when there is one.
   */
  invalid(ref: FnRef, field: string, key?: string | number, hint?: string): string {
    const fn = this.fn(ref);
    const failed = this.fieldIssues(fn, field, key).length > 0;
    const describedBy = [hint, failed ? errorId(fn.name, field, keyString(key)) : undefined].filter(Boolean).join(" ");
    return (failed ? ` aria-invalid="true"` : "") + (describedBy ? ` aria-describedby="${escapeHtml(describedBy)}"` : "");
  }

  /** The value of the last successful submission of this form, if it is the one this page shows. */
  result(ref: FnRef, key?: string | number): unknown {
    const o = this.outcomeOf(this.fn(ref), key);
    return o?.ok ? o.value : undefined;
  }

  /** True when the last submission of this form succeeded / failed. */
  succeeded(ref: FnRef, key?: string | number): boolean {
    return this.outcomeOf(this.fn(ref), key)?.ok === true;
  }
  failed(ref: FnRef, key?: string | number): boolean {
    return this.outcomeOf(this.fn(ref), key)?.ok === false;
  }

  /** The error of the last failed submission of this form. */
  errorOf(ref: FnRef, key?: string | number): ErrorBody | undefined {
    return this.failure(this.fn(ref), key);
  }

  /**
   * The client script's tag ("" when it has not been built), after the functions' manifest
   * that stubs made by name read (`stub<typeof addTodo>("add_todo")`): each function's path,
   * method and encoding, as JSON that cannot close its element.
   */
  script(): string {
    const manifest = `<script type="application/json" ${MANIFEST_ATTR}>${this.registry.manifest(this.base).replace(/</g, "\\u003c")}</script>`;
    if (!this.scriptUrl) return manifest;
    // What shows a settled submission is a chunk of its own: preloaded, so the first error
    // or success shows as soon as its answer arrives.
    const preload = this.preload.map((url) => `<link rel="modulepreload" href="${escapeHtml(this.base + url)}">`).join("");
    return `${manifest}<script type="module" async src="${escapeHtml(this.base + this.scriptUrl)}"></script>${preload}`;
  }

  private fn(ref: FnRef): AnyServerFn {
    const fn = this.registry.get(ref);
    if (!fn) throw new Error(`isoform: no server function named ${JSON.stringify(ref)}; check the name, or that its module is imported`);
    return fn;
  }

  private outcomeOf(fn: AnyServerFn, key: string | number | undefined): Outcome | undefined {
    const o = this.outcome;
    if (!o || o.fn !== fn.name || (o.key ?? "") !== keyString(key)) return undefined;
    return o;
  }

  private failure(fn: AnyServerFn, key: string | number | undefined): ErrorBody | undefined {
    const o = this.outcomeOf(fn, key);
    return o && !o.ok ? o.error : undefined;
  }

  private raw(ref: FnRef, field: string, key: string | number | undefined): unknown {
    const fn = this.fn(ref);
    if (isSensitiveName(field, fn.sensitive)) return undefined;
    const o = this.outcomeOf(fn, key);
    if (!o || o.ok || !o.input) return undefined;
    let v: unknown = o.input;
    for (const seg of fieldPath(field)) {
      if (v === null || typeof v !== "object" || !Object.hasOwn(v, seg)) return undefined;
      v = (v as Record<string, unknown>)[seg];
    }
    return v;
  }

  private fieldIssues(fn: AnyServerFn, field: string, key: string | number | undefined): Issue[] {
    const err = this.failure(fn, key);
    if (!err?.issues) return [];
    const want = fieldPath(field).join("\u0000");
    const list = field.endsWith("[]");
    return err.issues.filter((i) => {
      const got = i.path.map(String);
      // `tags[]` collects the errors of every item (`tags[0]`, `tags[1]`…) and of the list itself.
      if (list) return got.slice(0, fieldPath(field).length).join("\u0000") === want;
      return got.join("\u0000") === want;
    });
  }
}

/** Hidden from sight, not from screen readers (an inline style: the page's stylesheet need not know it). */
const VISUALLY_HIDDEN = "position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap";

/** Functions already warned about, so a page rendered a thousand times warns once. */
const warnedForms = new Set<string>();

function keyString(key: string | number | undefined): string {
  return key === undefined ? "" : String(key);
}
