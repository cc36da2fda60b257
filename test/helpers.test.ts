import { describe, expect, it } from "vitest";
import { PageHelpers } from "../server/helpers.js";
import { Registry, serverFn } from "../server/index.js";
import { errorPage, escapeHtml, submissionPage } from "../server/html.js";
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
        '<input type="hidden" name="_isoform_return" value="/p?q=1"><input type="hidden" name="_isoform_success" value="Added.">',
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

  it("names JSON and CBOR functions' encodings in enctype, for the script to send", () => {
    expect(helpers().form("echo_json")).toMatch(/^<form method="post" action="\/api\/echo_json" enctype="application\/json"/);
    expect(helpers().form("echo_cbor")).toContain(' enctype="application/cbor"');
    expect(helpers().form("echo_get_cbor")).toMatch(/^<form method="get" action="\/api\/echo_get_cbor" enctype="application\/cbor"/);
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

describe("reading a failed submission back", () => {
  const outcome = failure(
    "add_todo",
    { title: "typed", tags: ["a", "b", { nested: "no" }], none: null, n: 3, obj: { x: "1" }, ab: "joined?" },
    [{ path: ["title"], message: "Too short" }, { path: ["title"], message: "Too plain" }, { path: ["tags", 1], message: "Bad tag" }, { path: ["a", "b"], message: "Deep" }],
  );
  const h = helpers(outcome);

  it("value() joins a list, writes numbers, and gives nothing for null, objects, or a path through a non-object", () => {
    expect(h.value("add_todo", "tags")).toBe("a, b, [object Object]");
    expect(h.value("add_todo", "n")).toBe("3");
    expect(h.value("add_todo", "none")).toBe("");
    expect(h.value("add_todo", "obj")).toBe("");
    expect(h.value("add_todo", "obj[x]")).toBe("1");
    expect(h.value("add_todo", "title[length]")).toBe("");
    expect(h.value("add_todo", "none[x]")).toBe("");
    expect(h.value("add_todo", "constructor")).toBe("");
    expect(h.value("add_todo", "obj[toString]")).toBe("");
    expect(h.value("add_todo", "missing")).toBe("");
  });

  it("values() lists a repeated field's scalar values; nothing for a missing or null one", () => {
    expect(h.values("add_todo", "tags[]")).toEqual(["a", "b"]);
    expect(h.values("add_todo", "tags")).toEqual(["a", "b"]);
    expect(h.values("add_todo", "title")).toEqual(["typed"]);
    expect(h.values("add_todo", "missing[]")).toEqual([]);
    expect(h.values("add_todo", "none[]")).toEqual([]);
    expect(h.values("add_todo", "obj[]")).toEqual([]);
  });

  it("a nested list (a[b][]) collects its items' errors too", () => {
    const nested = helpers(failure("add_todo", {}, [{ path: ["a", "b", 0], message: "Item" }, { path: ["ab", 0], message: "Other list" }]));
    expect(nested.error("add_todo", "a[b][]")).toContain(">Item</span>");
    expect(nested.error("add_todo", "ab[]")).toContain(">Other list</span>");
  });

  it("error() joins a field's messages; an item's error shows on the list (tags[]) only, not on its bare name", () => {
    expect(h.error("add_todo", "title")).toContain(">Too short. Too plain</span>");
    expect(h.error("add_todo", "tags[]")).toContain(">Bad tag</span>");
    expect(h.error("add_todo", "tags")).toContain(" hidden></span>");
    expect(h.invalid("add_todo", "tags")).toBe("");
    expect(h.error("add_todo", "ab")).toContain(" hidden></span>");
    expect(h.error("add_todo", "a[b]")).toContain(">Deep</span>");
  });

  it("an error without issues marks no field, and shows at the form level", () => {
    const server = helpers({ fn: "add_todo", to: "/p", exp: 0, ok: false, input: { title: "x" }, error: { type: "ServerError", message: "Down" } });
    expect(server.error("add_todo", "title")).toContain(" hidden></span>");
    expect(server.invalid("add_todo", "title")).toBe("");
    expect(server.formError("add_todo")).toContain(">Down</p>");
    expect(server.errorOf("add_todo")).toEqual({ type: "ServerError", message: "Down" });
    expect(server.value("add_todo", "title")).toBe("x");
  });

  it("succeeded(), failed(), errorOf() and result() are about this function's outcome only", () => {
    const ok = helpers({ fn: "add_todo", to: "/p", exp: 0, ok: true, value: { id: 1 } });
    expect([ok.succeeded("add_todo"), ok.failed("add_todo"), ok.errorOf("add_todo"), ok.result("add_todo")]).toEqual([true, false, undefined, { id: 1 }]);
    expect([ok.succeeded("conflict"), ok.failed("conflict")]).toEqual([false, false]);
    expect([h.succeeded("add_todo"), h.failed("add_todo"), h.result("add_todo")]).toEqual([false, true, undefined]);
    expect(h.errorOf("add_todo")).toMatchObject({ type: "Validation" });
    expect([helpers().succeeded("add_todo"), helpers().failed("add_todo"), helpers().errorOf("add_todo")]).toEqual([false, false, undefined]);
    const other = helpers(failure("conflict", { title: "not mine" }, [{ path: ["title"], message: "Not mine" }]));
    expect(other.value("add_todo", "title")).toBe("");
    expect(other.error("add_todo", "title")).toContain(" hidden></span>");
    expect(other.failed("add_todo")).toBe(false);
  });
});

describe("escaping", () => {
  const hostile = '"><script>x</script>&\'';
  const escaped = "&quot;&gt;&lt;script&gt;x&lt;/script&gt;&amp;&#39;";

  it("formError() escapes a non-validation error's message and a validation error's general issues", () => {
    const server: Outcome = { fn: "add_todo", to: "/p", exp: Date.now() + 1000, ok: false, error: { type: "ServerError", message: hostile } };
    expect(helpers(server).formError("add_todo")).toBe(`<p id="isoform-add_todo--" class="isoform-error isoform-form-error" data-isoform-error="">${escaped}</p>`);
    const invalid = failure("add_todo", {}, [{ path: [], message: hostile }, { path: [], message: "<i>" }, { path: ["title"], message: "not here" }]);
    expect(helpers(invalid).formError("add_todo")).toContain(`>${escaped}. &lt;i&gt;</p>`);
  });

  it("the hidden key field and the form's key marker are escaped", () => {
    const html = helpers().form("add_todo", { key: hostile });
    expect(html).toContain(`<input type="hidden" name="_isoform_key" value="${escaped}">`);
    expect(html).toContain(` data-isoform-key="${escaped}"`);
    expect(html).not.toContain("<script>");
  });

  it("error() escapes the field name in its marker, and every attribute of form() is escaped, names too", () => {
    expect(helpers().error("add_todo", 'a"b')).toContain(' data-isoform-error="a&quot;b" hidden>');
    const html = helpers().form("add_todo", { attrs: { 'x"y': hostile, "data-on": true, "data-off": false }, success: "<b>" });
    expect(html).toContain(` x&quot;y="${escaped}"`);
    expect(html).toContain(" data-on>");
    expect(html).not.toContain("data-off");
    expect(html).toContain(' data-isoform-success="&lt;b&gt;"');
  });

  it("script()'s manifest of functions cannot close its element", () => {
    const own = new Registry();
    serverFn({ name: "odd", endpoint: "x</script><b>y", registry: own }, async () => 1);
    const html = new PageHelpers(own, "/p", undefined, undefined).script();
    expect(html).not.toContain("</script><b>");
    expect(html).toContain("x\\u003c/script>\\u003cb>y");
  });

  it("script() escapes its URL", () => {
    const html = helpers(undefined, '/s.js?"><x').script();
    expect(html).toContain('<script type="module" async src="/s.js?&quot;&gt;&lt;x"></script>');
    expect(html).not.toContain('"><x');
  });
});

describe("escapeHtml, the error page and the submission page", () => {
  it("escapeHtml escapes the five characters, and only them; nothing is written for null and undefined", () => {
    expect(escapeHtml(`<>&"'`)).toBe("&lt;&gt;&amp;&quot;&#39;");
    expect(escapeHtml("a < b")).toBe("a &lt; b");
    expect(escapeHtml("plain text, é")).toBe("plain text, é");
    expect(escapeHtml(undefined)).toBe("");
    expect(escapeHtml(null)).toBe("");
    expect(escapeHtml(0)).toBe("0");
    expect(escapeHtml(false)).toBe("false");
  });

  it("errorPage is a whole page: title, message and the way back escaped, the status shown", () => {
    expect(errorPage(403, "Request <refused>", 'From "evil"', "/back?a=1&b=2")).toBe(
      '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Request &lt;refused&gt;</title></head>' +
        '<body><main><h1>Request &lt;refused&gt;</h1><p>From &quot;evil&quot;</p><p><a href="/back?a=1&amp;b=2">Go back</a></p><p><small>Status 403</small></p></main></body></html>',
    );
    expect(errorPage(404, "Not found", "x")).toContain('<a href="/">Go back</a>');
  });

  it("submissionPage shows every field typed, nested and listed ones by their path, empty ones empty", () => {
    const page = submissionPage({ fn: "f", to: "/p", exp: 0, ok: false, input: { a: "1", n: 2, none: null, list: ["x", "y"], o: { b: { c: "<deep>" } }, empty: {} } }, 422);
    expect(page).toMatchObject({ type: "response", status: 422, headers: { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" } });
    const html = String(page.body);
    expect(html).toContain("<h1>Your submission was not accepted</h1><p></p>");
    const fields = [...html.matchAll(/<p><label>([^<]*)<br><textarea readonly rows="3" cols="60">([^<]*)<\/textarea><\/label><\/p>/g)].map((m) => [m[1], m[2]]);
    expect(fields).toEqual([["a", "1"], ["n", "2"], ["none", ""], ["list[0]", "x"], ["list[1]", "y"], ["o[b][c]", "&lt;deep&gt;"]]);
    expect(html).toContain('<textarea readonly rows="3" cols="60">1</textarea></label></p><p><label>n<br>');
    expect(html).toMatch(/<small>Status 422<\/small><\/p><p><label>a<br>.*<\/label><\/p><\/main><\/body><\/html>$/);
    const noInput = String(submissionPage({ fn: "f", to: "/p", exp: 0, ok: false, error: { type: "ServerError", message: "Boom" } }, 500).body);
    expect(noInput).toContain("<p>Boom</p>");
    expect(noInput).toContain("<small>Status 500</small></p></main>");
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
  it("writes the functions' manifest, then an async module tag when the client is built", () => {
    const html = helpers(undefined, "/_isoform/client/isoform-ABC.js").script();
    const manifest = /^<script type="application\/json" data-isoform-manifest>(.*?)<\/script>/.exec(html)?.[1];
    expect(JSON.parse(manifest!).add_todo).toEqual({ path: "/api/add_todo", method: "POST", encoding: "url" });
    expect(html.endsWith('<script type="module" async src="/_isoform/client/isoform-ABC.js"></script>')).toBe(true);
    // Without the build, the manifest alone: stubs still find their functions.
    expect(helpers().script()).toMatch(/^<script type="application\/json" data-isoform-manifest>\{.*\}<\/script>$/);
  });
});

describe("the accessible outcome markup (error summary, title, notice, live region, field ids)", () => {
  const ok = (fn: string, notice?: string, key?: string): Outcome => ({ fn, to: "/p", exp: Date.now() + 1000, ok: true, value: { id: 1 }, ...(notice ? { notice } : {}), ...(key ? { key } : {}) });

  it("the summary lists each error, linking a field's to its id, and is focused on load", () => {
    const page = helpers(failure("add_todo", { title: "" }, [{ path: ["title"], message: "Title is required" }, { path: [], message: "Too many todos" }]));
    const html = page.errorSummary("add_todo", { heading: "Fix <these>" });
    expect(html).toBe(
      '<div id="isoform-add_todo--summary" class="isoform-summary" data-isoform-summary tabindex="-1" aria-labelledby="isoform-add_todo--summary-heading" autofocus>' +
        '<h2 id="isoform-add_todo--summary-heading">Fix &lt;these&gt;</h2><ul><li><a href="#add_todo-title">Title is required</a></li><li>Too many todos</li></ul></div>',
    );
    expect(page.errorSummary("add_todo", { ids: { title: "title" } })).toContain('<a href="#title">Title is required</a>');
  });

  it("the summary is written hidden and empty when the form did not fail (for the script to fill), and names a refusal that is not a validation", () => {
    const none = helpers().errorSummary("add_todo");
    expect(none).toContain(" hidden>");
    expect(none).not.toContain("autofocus");
    expect(none).toContain("<ul></ul>");
    const refused: Outcome = { fn: "add_todo", to: "/p", exp: Date.now() + 1000, ok: false, error: { type: "ServerError", message: "The database is down" } };
    expect(helpers(refused).errorSummary("add_todo")).toContain("<ul><li>The database is down</li></ul>");
    // Another form's failure is not this one's.
    expect(helpers(refused).errorSummary("echo_json")).toContain(" hidden>");
    // A validation refusal without issues still says what went wrong, under the default heading.
    const bare: Outcome = { fn: "add_todo", to: "/p", exp: Date.now() + 1000, ok: false, error: { type: "Validation", message: "Nothing to add" } };
    expect(helpers(bare).errorSummary("add_todo")).toContain('<h2 id="isoform-add_todo--summary-heading">There is a problem</h2><ul><li>Nothing to add</li></ul>');
  });

  it("fieldId follows the field's path, and the key", () => {
    const page = helpers();
    expect(page.fieldId("add_todo", "title")).toBe("add_todo-title");
    expect(page.fieldId("add_todo", "address[street]")).toBe("add_todo-address-street");
    expect(page.fieldId("add_todo", "tags[]", 3)).toBe("add_todo-3-tags");
    expect(page.fieldId("add_todo", 'x"y')).toBe("add_todo-x_y");
  });

  it("title() prefixes 'Error: ' only on a page showing a failure", () => {
    expect(helpers().title("Todos")).toBe("Todos");
    expect(helpers(ok("add_todo", "Added")).title("Todos")).toBe("Todos");
    expect(helpers(failure("add_todo", {}, [])).title("Todos")).toBe("Error: Todos");
  });

  it("notice() shows a success's notice, escaped and focused on load; nothing otherwise", () => {
    expect(helpers(ok("add_todo", "“<b>Tea</b>” added")).notice()).toBe('<p class="isoform-notice" data-isoform-notice role="status" tabindex="-1" autofocus>“&lt;b&gt;Tea&lt;/b&gt;” added</p>');
    expect(helpers(ok("add_todo")).notice()).toBe("");
    expect(helpers(failure("add_todo", {}, [])).notice()).toBe("");
    expect(helpers().notice()).toBe("");
  });

  it("liveRegion() renders the one polite region the script announces in", () => {
    const html = helpers().liveRegion();
    expect(html).toMatch(/^<div class="isoform-live" data-isoform-live role="status" aria-live="polite" style="[^"]*clip-path:inset\(50%\)[^"]*"><\/div>$/);
  });

  it("invalid() keeps a hint in aria-describedby, before the error", () => {
    const failed = helpers(failure("add_todo", { title: "" }, [{ path: ["title"], message: "Required" }]));
    expect(failed.invalid("add_todo", "title", undefined, "title-hint")).toBe(' aria-invalid="true" aria-describedby="title-hint isoform-add_todo--title"');
    expect(helpers().invalid("add_todo", "title", undefined, "title-hint")).toBe(' aria-describedby="title-hint"');
    expect(helpers().invalid("add_todo", "title")).toBe("");
  });

  it("form() writes the refresh regions and the success text (attribute and hidden field, cut at 300 characters)", () => {
    const html = helpers().form("add_todo", { refresh: "#list", success: "x".repeat(400) });
    expect(html).toContain('data-isoform-refresh="#list"');
    expect(html).toContain(`<input type="hidden" name="_isoform_success" value="${"x".repeat(300)}">`);
  });

  it("script() preloads the chunks that show a settled submission", () => {
    const page = new PageHelpers(registry, "/", undefined, "/_isoform/client/isoform-X.js", "/app", undefined, ["/_isoform/client/chunk-A.js"]);
    expect(page.script()).toContain('<script type="module" async src="/app/_isoform/client/isoform-X.js"></script><link rel="modulepreload" href="/app/_isoform/client/chunk-A.js">');
  });
});
