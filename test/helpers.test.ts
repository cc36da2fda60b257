import { describe, expect, it } from "vitest";
import { PageHelpers } from "../server/helpers.js";
import type { Outcome } from "../server/outcome.js";
import { testRegistry } from "./support/app.js";

// The template helpers render the markup of docs/markup.md from a page's outcome.
const { registry } = testRegistry();
const failure = (fn: string, input: Record<string, unknown>, issues: { path: (string | number)[]; message: string }[], key?: string): Outcome => ({
  fn, to: "/p", exp: Date.now() + 1000, ok: false, input, error: { type: "Validation", message: "Invalid input", issues }, ...(key ? { key } : {}),
});
const helpers = (outcome?: Outcome, script?: string) => new PageHelpers(registry, "/p?q=1", outcome, script);

describe("form()", () => {
  it("writes method, action, enctype, markers and the return field", () => {
    const html = helpers().form("add_todo", { multi: "#pending", mode: "abort", reset: true, success: "Added.", attrs: { id: "add", class: "a&b" } });
    expect(html).toBe(
      '<form method="post" action="/api/add_todo" enctype="application/x-www-form-urlencoded" data-isoform="add_todo" data-isoform-multi="#pending" data-isoform-mode="abort" data-isoform-reset data-isoform-success="Added." id="add" class="a&amp;b">' +
        '<input type="hidden" name="_isoform_return" value="/p?q=1">',
    );
  });

  it("uses GET for get-json and multipart/form-data for uploads, and writes the key", () => {
    expect(helpers().form("echo_get_json")).toMatch(/^<form method="get" action="\/api\/echo_get_json" enctype="application\/x-www-form-urlencoded"/);
    expect(helpers().form("upload")).toContain('enctype="multipart/form-data"');
    const keyed = helpers().form("add_todo", { key: 7, focus: "#list > h2" });
    expect(keyed).toContain('data-isoform-key="7"');
    expect(keyed).toContain('data-isoform-focus="#list &gt; h2"');
    expect(keyed).toContain('<input type="hidden" name="_isoform_key" value="7">');
  });

  it("names the fix for an unknown function", () => {
    expect(() => helpers().form("nope")).toThrow(/no server function named "nope"; check the name/);
  });
});

describe("values after a failed submission", () => {
  const outcome = failure(
    "add_todo",
    { title: "typed <b>", address: { city: "Oslo", street: "" }, tags: ["a", "b"], password: "never" },
    [{ path: ["title"], message: "Too long" }, { path: ["tags", 1], message: "Bad tag" }, { path: [], message: "Whole form" }],
  );

  it("value() gives back what was typed, nested and repeated names included", () => {
    const h = helpers(outcome);
    expect(h.value("add_todo", "title")).toBe("typed <b>"); // data: the template escapes it
    expect(h.value("add_todo", "address[city]")).toBe("Oslo");
    expect(h.value("add_todo", "address[street]")).toBe("");
    expect(h.values("add_todo", "tags[]")).toEqual(["a", "b"]);
    expect(h.value("add_todo", "tags[1]")).toBe("b");
    expect(h.value("add_todo", "password")).toBe("");
    expect(helpers().value("add_todo", "title")).toBe("");
  });

  it("error(), invalid() and formError() mark the failed fields", () => {
    const h = helpers(outcome);
    expect(h.error("add_todo", "title")).toBe('<span id="isoform-add_todo--title" class="isoform-error" data-isoform-error="title">Too long</span>');
    expect(h.error("add_todo", "tags[]")).toContain(">Bad tag</span>");
    expect(h.error("add_todo", "body")).toBe('<span id="isoform-add_todo--body" class="isoform-error" data-isoform-error="body" hidden></span>');
    expect(h.invalid("add_todo", "title")).toBe(' aria-invalid="true" aria-describedby="isoform-add_todo--title"');
    expect(h.invalid("add_todo", "body")).toBe("");
    expect(h.formError("add_todo")).toContain(">Whole form</p>");
    expect(h.failed("add_todo")).toBe(true);
    expect(h.succeeded("add_todo")).toBe(false);
  });

  it("escapes messages", () => {
    const h = helpers(failure("add_todo", {}, [{ path: ["title"], message: "<script>x</script>" }]));
    expect(h.error("add_todo", "title")).toContain("&lt;script&gt;x&lt;/script&gt;");
  });
});

describe("several forms of one function", () => {
  it("show an outcome only on the form with the submitted key", () => {
    const h = helpers(failure("add_todo", { id: "2" }, [{ path: [], message: "That todo no longer exists" }], "2"));
    expect(h.formError("add_todo", 2)).toContain(">That todo no longer exists</p>");
    expect(h.formError("add_todo", 1)).toContain(" hidden></p>");
    expect(h.formError("add_todo", 3)).toContain(" hidden></p>");
    expect(h.failed("add_todo", 1)).toBe(false);
  });

  it("result() gives the value of a success for that form only", () => {
    const ok: Outcome = { fn: "add_todo", to: "/p", exp: Date.now() + 1000, ok: true, value: { id: 3 }, key: "3" };
    expect(helpers(ok).result("add_todo", 3)).toEqual({ id: 3 });
    expect(helpers(ok).result("add_todo", 4)).toBeUndefined();
    expect(helpers(ok).result("conflict")).toBeUndefined();
  });
});

describe("script()", () => {
  it("writes an async module tag when the client is built, nothing otherwise", () => {
    expect(helpers(undefined, "/_isoform/client/isoform-ABC.js").script()).toBe('<script type="module" async src="/_isoform/client/isoform-ABC.js"></script>');
    expect(helpers().script()).toBe("");
  });
});
