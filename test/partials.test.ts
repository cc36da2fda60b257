import { Eta } from "eta";
import { describe, expect, it } from "vitest";
import { PageHelpers } from "../server/helpers.js";
import { loadPartials, PARTIALS_DIR } from "../server/index.js";
import type { Outcome } from "../server/outcome.js";
import { testRegistry } from "./support/app.js";

// The eta partials shipped in views/ (docs/markup.md), registered as @isoform/<name>.
const { registry } = testRegistry();
const eta = new Eta({ views: PARTIALS_DIR });
loadPartials(eta);
const failed: Outcome = {
  fn: "add_todo",
  to: "/p",
  exp: Date.now() + 60_000,
  ok: false,
  input: { title: "<typed>", password: "hunter22" },
  error: { type: "Validation", message: "Invalid input", issues: [{ path: ["title"], message: "Title is required" }] },
};
const render = (template: string, outcome?: Outcome) => eta.renderString(template, { isoform: new PageHelpers(registry, "/p", outcome, undefined) });

describe("the shipped partials", () => {
  it("field: label, hint, error and input tied together; the saved value until a failure, then what was typed", () => {
    const tpl = `<%~ include("@isoform/field", { isoform: it.isoform, fn: "add_todo", name: "title", label: "Title", hint: "Short", value: "saved", attrs: { autocomplete: "off", required: true, hidden: false } }) %>`;
    const fresh = render(tpl);
    expect(fresh).toContain('<label for="add_todo-title">Title</label>');
    expect(fresh).toContain('<p id="add_todo-title-hint" class="isoform-hint">Short</p>');
    expect(fresh).toMatch(/<input type="text" id="add_todo-title" name="title" value="saved" aria-describedby="add_todo-title-hint" autocomplete="off" required>/);
    const after = render(tpl, failed);
    expect(after).toContain('value="&lt;typed&gt;" aria-invalid="true" aria-describedby="add_todo-title-hint isoform-add_todo--title"');
    expect(after).toMatch(/<span id="isoform-add_todo--title" class="isoform-error" data-isoform-error="title">Title is required<\/span>/);
  });

  it("field: a password never shows a value; a textarea holds what was typed", () => {
    const pw = render(`<%~ include("@isoform/field", { isoform: it.isoform, fn: "add_todo", name: "password", label: "Password", type: "password", value: "x" }) %>`, failed);
    expect(pw).toMatch(/<input type="password" id="add_todo-password" name="password">/);
    expect(pw).not.toContain("hunter22");
    const area = render(`<%~ include("@isoform/field", { isoform: it.isoform, fn: "add_todo", name: "title", label: "T", type: "textarea" }) %>`, failed);
    expect(area).toContain(">&lt;typed&gt;</textarea>");
  });

  it("error summary and live region render the helpers' markup; the summary links to the field partial's id", () => {
    const summary = render(`<%~ include("@isoform/error-summary", { isoform: it.isoform, fn: "add_todo" }) %>`, failed);
    expect(summary).toContain('<a href="#add_todo-title">Title is required</a>');
    expect(summary).toContain("autofocus");
    expect(render(`<%~ include("@isoform/live-region", { isoform: it.isoform }) %>`)).toContain("data-isoform-live");
  });

  it("a partial included without the page helpers says what to pass", () => {
    expect(() => eta.renderString(`<%~ include("@isoform/field", { fn: "add_todo", name: "title", label: "T" }) %>`, {})).toThrow(/@isoform\/field needs the page helpers: include\("@isoform\/field", \{ isoform: it.isoform/);
    expect(() => eta.renderString(`<%~ include("@isoform/error-summary", { fn: "add_todo" }) %>`, {})).toThrow(/@isoform\/error-summary needs the page helpers/);
  });

  it("pending item: a template whose states, texts and item-named buttons the script fills", () => {
    const html = render(`<%~ include("@isoform/pending-item", { field: "title", pending: "Adding…" }) %>`);
    expect(html).toContain("<template data-isoform-template>");
    expect(html).toContain('<span class="isoform-submission-text" data-isoform-field="title"></span>');
    expect(html).toContain('data-isoform-when="pending">Adding…</span>');
    expect(html).toContain('data-isoform-when="canceled">Canceled</span>');
    expect(html).toContain('aria-label="Retry “{title}”"');
    expect(html).toContain('aria-label="Dismiss “{title}”" hidden>Dismiss</button>');
  });
});
