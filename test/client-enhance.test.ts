// @vitest-environment happy-dom
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { enhance } from "../client/enhance.js";

// The delegated enhancement over a DOM (happy-dom), with fetch replaced by a function the
// test answers, so each step between submit and outcome can be inspected.

type Call = { url: string; init: RequestInit; answer(status: number, body: unknown, headers?: Record<string, string>): void; fail(e: unknown): void };
let calls: Call[] = [];

beforeAll(async () => {
  enhance(document);
  // Multi-action forms load their module on first use; load it now so tests need not wait.
  await import("../client/multi-form.js");
  await import("../client/feedback.js");
});
afterEach(() => {
  calls = [];
  document.body.innerHTML = "";
  vi.unstubAllGlobals();
});

function stubFetch() {
  vi.stubGlobal("fetch", (url: string, init: RequestInit) =>
    new Promise<Response>((resolve, reject) => {
      init.signal?.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")));
      calls.push({
        url,
        init,
        answer: (status, body, headers = {}) =>
          resolve(new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } })),
        fail: reject,
      });
    }),
  );
}

function page(html: string): HTMLFormElement {
  document.title = "Todos";
  document.body.innerHTML = html;
  return document.querySelector("form")!;
}

const flush = () => new Promise((r) => setTimeout(r, 0));
/** Until an answer has been shown: the reply read, the feedback chunk loaded (client/feedback.ts), the outcome shown. */
const settle = async () => {
  for (let i = 0; i < 5; i++) await flush();
};

const ADD_FORM = `
  <form method="post" action="/api/add_todo" data-isoform="add_todo">
    <input type="hidden" name="_isoform_return" value="/">
    <label for="t">Title</label><input id="t" name="title">
    <span id="isoform-add_todo--title" class="isoform-error" data-isoform-error="title" hidden></span>
    <p class="isoform-error" data-isoform-error="" hidden></p>
    <output data-isoform-value="title"></output>
    <button type="submit" name="intent" value="add">Add</button>
  </form>`;

describe("enhance", () => {
  it("sends what the browser would, with the enhanced marker, without navigating", async () => {
    stubFetch();
    const form = page(ADD_FORM);
    form.querySelector("input[name=title]")!.setAttribute("value", "Buy milk");
    (form.querySelector("input[name=title]") as HTMLInputElement).value = "Buy milk";
    form.requestSubmit(form.querySelector("button")!);
    await flush();
    expect(calls).toHaveLength(1);
    const { url, init } = calls[0];
    expect(new URL(url).pathname).toBe("/api/add_todo");
    expect(init.method).toBe("POST");
    expect(new Headers(init.headers).get("x-isoform")).toBe("1");
    const body = new URLSearchParams(init.body as URLSearchParams);
    expect(body.get("title")).toBe("Buy milk");
    expect(body.get("intent")).toBe("add"); // the submitter's name=value
    expect(body.get("_isoform_return")).toBe("/");
  });

  it("writes a textarea's line breaks as CRLF, as the browser's own submission does", async () => {
    stubFetch();
    const form = page(ADD_FORM.replace('<input id="t" name="title">', '<textarea id="t" name="title"></textarea>'));
    form.querySelector("textarea")!.value = "one\ntwo";
    form.requestSubmit();
    await flush();
    expect(new URLSearchParams(calls[0]!.init.body as URLSearchParams).get("title")).toBe("one\r\ntwo");
  });

  it("enhances forms added after it started (delegation) and honours formaction/formmethod", async () => {
    stubFetch();
    page("<div id=slot></div>");
    document.getElementById("slot")!.innerHTML = `
      <form method="post" action="/api/a" data-isoform="a"><input name="q" value="x">
        <button formaction="/api/b" formmethod="get">Search</button></form>`;
    const form = document.querySelector("form")!;
    form.requestSubmit(form.querySelector("button")!);
    await flush();
    expect(calls).toHaveLength(1);
    const url = new URL(calls[0].url);
    expect(url.pathname).toBe("/api/b");
    expect(url.searchParams.get("q")).toBe("x");
    expect(calls[0].init.method).toBe("GET");
  });

  it("is busy while pending (its button enabled, keeping focus), ignores a second submit, and shows the value on success", async () => {
    stubFetch();
    const form = page(ADD_FORM);
    (form.querySelector("input[name=title]") as HTMLInputElement).value = "Tea";
    const button = form.querySelector("button")!;
    const events: string[] = [];
    for (const t of ["submit", "pending", "success", "error", "done"]) document.addEventListener(`isoform:${t}`, () => events.push(t));
    form.requestSubmit(button);
    await flush();
    expect(form.getAttribute("aria-busy")).toBe("true");
    // Not disabled: a disabled button drops keyboard focus to the page.
    expect(button.disabled).toBe(false);
    form.requestSubmit(); // a double submit while pending
    await flush();
    expect(calls).toHaveLength(1);
    calls[0].answer(200, { id: 1, title: "Tea" });
    await settle();
    expect(form.hasAttribute("aria-busy")).toBe(false);
    expect(button.disabled).toBe(false);
    expect(form.querySelector("output")!.textContent).toBe("Tea");
    expect((form.querySelector("input[name=title]") as HTMLInputElement).value).toBe("Tea"); // no reset unless asked
    expect(document.querySelector("[data-isoform-live]")!.textContent).toBe("Done.");
    expect(events).toEqual(["submit", "pending", "success", "done"]);
  });

  it("shows field errors in the server's containers, keeps the input, focuses the field", async () => {
    stubFetch();
    const form = page(ADD_FORM);
    const field = form.querySelector<HTMLInputElement>("input[name=title]")!;
    field.value = "  ";
    form.requestSubmit();
    await flush();
    calls[0].answer(422, { error: { type: "Validation", message: "Invalid input", issues: [{ path: ["title"], message: "Title is required" }, { path: [], message: "Try again later" }] } });
    await settle();
    const container = document.getElementById("isoform-add_todo--title")!;
    expect(container.hidden).toBe(false);
    expect(container.textContent).toBe("Title is required");
    expect(field.getAttribute("aria-invalid")).toBe("true");
    expect(field.getAttribute("aria-describedby")).toBe("isoform-add_todo--title");
    expect(document.activeElement).toBe(field);
    expect(field.value).toBe("  ");
    expect(form.querySelector('[data-isoform-error=""]')!.textContent).toBe("Try again later");
    // Said once: the focused field reads its error, so the live region does not repeat it.
    expect(document.querySelector("[data-isoform-live]")?.textContent ?? "").toBe("");
    expect(document.title).toBe("Error: Todos");
  });

  it("a listener canceling isoform:submit stops the request", async () => {
    stubFetch();
    const form = page(ADD_FORM);
    const stop = (e: Event) => e.preventDefault();
    document.addEventListener("isoform:submit", stop);
    form.requestSubmit();
    await flush();
    document.removeEventListener("isoform:submit", stop);
    expect(calls).toHaveLength(0);
  });

  it('mode "abort" lets the latest submission win', async () => {
    stubFetch();
    const form = page(ADD_FORM.replace('data-isoform="add_todo"', 'data-isoform="add_todo" data-isoform-mode="abort"'));
    const field = form.querySelector<HTMLInputElement>("input[name=title]")!;
    field.value = "first";
    form.requestSubmit();
    await flush();
    field.value = "second";
    form.requestSubmit();
    await flush();
    expect(calls).toHaveLength(2);
    expect(calls[0].init.signal!.aborted).toBe(true);
    // Disabled buttons (and so Enter) would refuse the next submit this mode is for.
    expect(form.querySelector("button")!.disabled).toBe(false);
    calls[1].answer(200, { title: "second" });
    await settle();
    expect(form.querySelector("output")!.textContent).toBe("second");
  });

  it('mode "abort": the superseded request ending (aborted) leaves the new one\'s state alone', async () => {
    stubFetch();
    const form = page(ADD_FORM.replace('data-isoform="add_todo"', 'data-isoform="add_todo" data-isoform-mode="abort"'));
    const field = form.querySelector<HTMLInputElement>("input[name=title]")!;
    const events: string[] = [];
    const listen = (e: Event) => events.push(`${e.type.replace("isoform:", "")}:${(e as CustomEvent).detail.input.title}`);
    for (const t of ["success", "error", "done"]) document.addEventListener(`isoform:${t}`, listen);
    try {
      field.value = "first";
      form.requestSubmit();
      await flush();
      field.value = "second";
      form.requestSubmit();
      await flush();
      await flush();
      expect(calls[0]!.init.signal!.aborted).toBe(true);
      // The first request has ended (aborted), and must not have touched the form:
      expect(form.getAttribute("aria-busy")).toBe("true");
      expect(form.querySelector<HTMLElement>('[data-isoform-error=""]')!.hidden).toBe(true);
      expect(form.querySelector('[data-isoform-error=""]')!.textContent).toBe("");
      expect(events).toEqual([]);
      // …so a third submission still supersedes the second (its request is the pending one).
      field.value = "third";
      form.requestSubmit();
      await flush();
      expect(calls).toHaveLength(3);
      expect(calls[1]!.init.signal!.aborted).toBe(true);
      calls[2]!.answer(200, { title: "third" });
      await flush();
      await flush();
      expect(form.hasAttribute("aria-busy")).toBe(false);
      expect(form.querySelector("output")!.textContent).toBe("third");
      expect(events).toEqual(["success:third", "done:third"]);
    } finally {
      for (const t of ["success", "error", "done"]) document.removeEventListener(`isoform:${t}`, listen);
    }
  });

  it("focuses the first invalid field, in the order of the issues, not the last", async () => {
    stubFetch();
    const form = page(ADD_FORM.replace("<output", `<label for="b">Body</label><input id="b" name="body">
      <span id="isoform-add_todo--body" class="isoform-error" data-isoform-error="body" hidden></span><output`));
    form.requestSubmit();
    await flush();
    calls[0]!.answer(422, { error: { type: "Validation", message: "Invalid input", issues: [{ path: ["title"], message: "Title is required" }, { path: ["body"], message: "Body is too long" }] } });
    await settle();
    expect(form.querySelector("#b")!.getAttribute("aria-invalid")).toBe("true");
    expect(document.activeElement).toBe(form.querySelector("#t"));
  });

  it('mode "queue" sends a second submission after the first, in order', async () => {
    stubFetch();
    const form = page(ADD_FORM.replace('data-isoform="add_todo"', 'data-isoform="add_todo" data-isoform-mode="queue"'));
    const field = form.querySelector<HTMLInputElement>("input[name=title]")!;
    field.value = "first";
    form.requestSubmit();
    await flush();
    field.value = "second";
    form.requestSubmit();
    await flush();
    expect(calls).toHaveLength(1); // the second waits its turn
    calls[0].answer(200, { title: "first" });
    await settle();
    expect(calls).toHaveLength(2);
    expect(new URLSearchParams(calls[1].init.body as URLSearchParams).get("title")).toBe("second");
    calls[1].answer(200, { title: "second" });
    await settle();
    expect(form.querySelector("output")!.textContent).toBe("second");
  });

  it("multi-action: renders each submission from the template at once, as text", async () => {
    stubFetch();
    page(`
      <form method="post" action="/api/add_todo" data-isoform="add_todo" data-isoform-multi="#pending">
        <input name="title">
        <template data-isoform-template><li><span data-isoform-field="title"></span><span data-isoform-error></span>
          <button type="button" data-isoform-cancel>Cancel</button><button type="button" data-isoform-retry>Retry</button></li></template>
        <button>Add</button>
      </form><ul id="pending"></ul>`);
    const form = document.querySelector("form")!;
    const field = form.querySelector<HTMLInputElement>("input[name=title]")!;
    for (const t of ["<b>one</b>", "two"]) {
      field.value = t;
      form.requestSubmit();
    }
    await flush();
    const items = [...document.querySelectorAll("#pending li")];
    expect(items).toHaveLength(2);
    expect(items[0].querySelector("[data-isoform-field]")!.textContent).toBe("<b>one</b>");
    expect(items[0].querySelector("b")).toBeNull(); // text, never parsed as HTML
    expect(items.map((i) => i.getAttribute("data-isoform-state"))).toEqual(["pending", "pending"]);
    expect(field.value).toBe(""); // ready for the next one
    (items[1].querySelector("[data-isoform-cancel]") as HTMLButtonElement).click();
    calls[0].answer(500, { error: { type: "ServerError", message: "Internal error" } });
    await settle();
    expect(items[0].getAttribute("data-isoform-state")).toBe("error");
    expect(items[0].querySelector("[data-isoform-error]")!.textContent).toBe("Internal error");
    expect(items[1].getAttribute("data-isoform-state")).toBe("canceled");
    (items[0].querySelector("[data-isoform-retry]") as HTMLButtonElement).click();
    await flush();
    expect(calls).toHaveLength(3);
    expect(new URLSearchParams(calls[2].init.body as URLSearchParams).get("title")).toBe("<b>one</b>");
    calls[2].answer(200, { title: "<b>one</b>" });
    await settle();
    expect(items[0].isConnected).toBe(false); // succeeded: the refreshed list shows it now
  });

  const MULTI_FORM = `
    <form method="post" action="/api/save" data-isoform="save" data-isoform-multi="#pending">
      <input name="title" aria-describedby="hint"><span id="hint">Short and clear</span>
      <span id="e-title" data-isoform-error="title" hidden></span>
      <select name="priority"><option value="normal">Normal</option><option value="high">High</option></select>
      <input type="checkbox" name="urgent" value="yes">
      <input type="radio" name="color" value="red" checked><input type="radio" name="color" value="blue">
      <input name="tags[]"><input name="tags[]"><input name="tags[]">
      <span id="e-tags" data-isoform-error="tags[]" hidden></span>
      <template><li><span data-isoform-field="title"></span></li></template>
      <button>Save</button>
    </form><ul id="pending"></ul>`;

  it("multi-action: a Validation error puts every kind of field back and marks the right one", async () => {
    stubFetch();
    const form = page(MULTI_FORM);
    const el = <T extends Element = HTMLInputElement>(sel: string) => form.querySelector(sel) as unknown as T;
    el("[name=title]").value = "My title";
    el<HTMLSelectElement>("[name=priority]").value = "high";
    el("[name=urgent]").checked = true;
    el("[value=blue]").checked = true;
    const tags = [...form.querySelectorAll<HTMLInputElement>("[name='tags[]']")];
    ["a", "b", "c"].forEach((v, i) => (tags[i]!.value = v));
    form.requestSubmit();
    await flush();
    expect(el("[name=title]").value).toBe(""); // reset for the next submission meanwhile
    calls[0]!.answer(422, { error: { type: "Validation", message: "2 fields are invalid", issues: [{ path: ["title"], message: "Too vague" }, { path: ["tags", 1], message: "Too long" }] } });
    await settle();
    expect(el("[name=title]").value).toBe("My title");
    expect(el<HTMLSelectElement>("[name=priority]").value).toBe("high");
    expect(el("[name=urgent]").checked).toBe(true);
    expect(el("[value=blue]").checked).toBe(true);
    expect(tags.map((t) => t.value)).toEqual(["a", "b", "c"]);
    expect(tags.map((t) => t.getAttribute("aria-invalid"))).toEqual([null, "true", null]);
    expect(el("#e-tags").textContent).toBe("Too long");
    // The error joins the field's own hint rather than replacing it, and leaves it when fixed.
    expect(el("[name=title]").getAttribute("aria-describedby")).toBe("hint e-title");
    calls.length = 0;
    el("[name=title]").dispatchEvent(new Event("input", { bubbles: true }));
    form.requestSubmit();
    await flush();
    calls[0]!.answer(200, { ok: true });
    await settle();
    expect(el("[name=title]").getAttribute("aria-describedby")).toBe("hint");
  });

  it("multi-action: a double click does not send the just-reset form again", async () => {
    stubFetch();
    const form = page(MULTI_FORM);
    form.querySelector<HTMLInputElement>("[name=title]")!.value = "Once";
    form.requestSubmit();
    await flush();
    form.requestSubmit(); // the second click, on the reset form
    await flush();
    expect(calls).toHaveLength(1);
    form.querySelector("[name=title]")!.dispatchEvent(new Event("input", { bubbles: true })); // typed into again
    form.requestSubmit();
    await flush();
    expect(calls).toHaveLength(2);
  });

  it("a list-level issue shows where the list's fields show theirs", async () => {
    stubFetch();
    const form = page(MULTI_FORM.replace(' data-isoform-multi="#pending"', ""));
    form.requestSubmit();
    await flush();
    calls[0]!.answer(422, { error: { type: "Validation", message: "Pick a tag", issues: [{ path: ["tags"], message: "Pick a tag" }] } });
    await settle();
    expect(form.querySelector("#e-tags")!.textContent).toBe("Pick a tag");
    expect(form.querySelector("[name='tags[]']")!.getAttribute("aria-invalid")).toBe("true");
  });

  // ---- what a settled submission shows and says (client/feedback.ts) ----

  const SUMMARY_FORM = `
    <form method="post" action="/api/add_todo" data-isoform="add_todo" data-isoform-success="“{title}” added">
      <div id="sum" data-isoform-summary tabindex="-1" hidden><h2>There is a problem</h2><ul></ul></div>
      <input type="hidden" name="_isoform_return" value="/">
      <label for="t">Title</label><input id="t" name="title">
      <span id="isoform-add_todo--title" data-isoform-error="title" hidden></span>
      <input name="note">
      <p data-isoform-error="" hidden></p>
      <button>Add</button>
    </form>`;

  it("fills the error summary: one item per error, a field's linking to it; focuses the summary; prefixes the title; announces nothing twice", async () => {
    stubFetch();
    const form = page(SUMMARY_FORM);
    form.requestSubmit();
    await flush();
    calls[0].answer(422, { error: { type: "Validation", message: "Invalid input", issues: [{ path: ["title"], message: "Title is required" }, { path: ["note"], message: "Too long" }, { path: [], message: "Try later" }] } });
    await settle();
    const summary = document.getElementById("sum")!;
    expect(summary.hidden).toBe(false);
    expect(document.activeElement).toBe(summary);
    const items = [...summary.querySelectorAll("li")];
    expect(items.map((li) => li.textContent)).toEqual(["Title is required", "Too long", "Try later"]);
    expect(items[0].querySelector("a")!.getAttribute("href")).toBe("#t");
    // A field without an id, or no field: the message alone.
    expect(items[1].querySelector("a")).toBeNull();
    expect(items[2].querySelector("a")).toBeNull();
    items[0].querySelector("a")!.click();
    expect(document.activeElement).toBe(document.getElementById("t"));
    expect(document.title).toBe("Error: Todos");
    expect(document.querySelector("[data-isoform-live]")?.textContent ?? "").toBe("");
  });

  it("after a success: summary hidden, title prefix gone, success text announced with its fields filled from the result", async () => {
    stubFetch();
    const form = page(SUMMARY_FORM);
    form.requestSubmit();
    await flush();
    calls[0].answer(422, { error: { type: "Validation", message: "Invalid input", issues: [{ path: ["title"], message: "Title is required" }] } });
    await settle();
    form.querySelector<HTMLInputElement>("#t")!.value = " Tea ";
    form.requestSubmit();
    await flush();
    calls[1].answer(200, { id: 4, title: "Tea" });
    await settle();
    expect(document.getElementById("sum")!.hidden).toBe(true);
    expect(document.title).toBe("Todos");
    expect(document.querySelector("[data-isoform-live]")!.textContent).toBe("“Tea” added");
  });

  it("a notice of an earlier submission is hidden once another settles", async () => {
    stubFetch();
    const form = page(`<p id="old" data-isoform-notice>“Tea” added</p>` + SUMMARY_FORM);
    form.requestSubmit();
    await flush();
    calls[0].answer(200, { id: 5, title: "Cake" });
    await settle();
    expect(document.getElementById("old")!.hidden).toBe(true);
    expect(document.querySelector("[data-isoform-live]")!.textContent).toBe("“Cake” added");
  });

  it("an error with nowhere to take focus (no summary, no field) is announced by the live region the page rendered, and focus stays", async () => {
    stubFetch();
    page(`<div id="live" data-isoform-live role="status"></div>
      <form method="post" action="/api/toggle" data-isoform="toggle"><input type="hidden" name="id" value="3">
      <p data-isoform-error="" hidden></p><button id="b">Done</button></form>`);
    const button = document.getElementById("b") as HTMLButtonElement;
    button.focus();
    button.click();
    await flush();
    calls[0].answer(404, { error: { type: "NotFound", message: "That todo no longer exists" } });
    await settle();
    expect(document.getElementById("live")!.textContent).toBe("That todo no longer exists");
    expect(document.querySelectorAll("[data-isoform-live]")).toHaveLength(1);
    expect(document.activeElement).toBe(button);
  });

  it("refresh: a success fetches the current page and swaps the named region, keeping focus on the element of the same id", async () => {
    const pages: string[] = [];
    stubFetch();
    const inner = globalThis.fetch;
    vi.stubGlobal("fetch", (url: string, init: RequestInit) => {
      if (!init?.method) {
        pages.push(url);
        return Promise.resolve(new Response(`<html><body><section id="list"><button id="toggle-1">New</button><p>2 todos</p></section></body></html>`, { headers: { "content-type": "text/html" } }));
      }
      return inner(url, init);
    });
    page(`<section id="list"><form method="post" action="/api/toggle" data-isoform="toggle" data-isoform-refresh="#list">
      <button id="toggle-1">Old</button></form></section>`);
    const button = document.getElementById("toggle-1") as HTMLButtonElement;
    button.focus();
    button.click();
    await flush();
    calls[0].answer(200, { id: 1 });
    await settle();
    await settle();
    expect(pages).toEqual([location.href]);
    expect(document.querySelector("#list p")!.textContent).toBe("2 todos");
    expect(document.activeElement).toBe(document.getElementById("toggle-1"));
    expect(document.activeElement!.textContent).toBe("New");
  });

  it("multi-action: states shown by [data-isoform-when], buttons named after the item, busy list, focus handed on, dismiss", async () => {
    stubFetch();
    page(`
      <form method="post" action="/api/add_todo" data-isoform="add_todo" data-isoform-multi="#pending">
        <input name="title">
        <template><li><span data-isoform-field="title"></span>
          <span data-isoform-when="pending">Saving…</span><span data-isoform-when="error canceled">Not saved</span>
          <button type="button" data-isoform-cancel aria-label="Cancel “{title}”">Cancel</button>
          <button type="button" data-isoform-retry aria-label="Retry “{title}”">Retry</button>
          <button type="button" data-isoform-dismiss aria-label="Dismiss “{title}”">Dismiss</button></li></template>
        <button>Add</button>
      </form><ul id="pending"></ul>`);
    const form = document.querySelector("form")!;
    const list = document.getElementById("pending")!;
    form.querySelector<HTMLInputElement>("[name=title]")!.value = "Milk";
    form.requestSubmit();
    await flush();
    const item = list.querySelector("li")!;
    const q = (sel: string) => item.querySelector<HTMLElement>(sel)!;
    const when = () => [...item.querySelectorAll<HTMLElement>("[data-isoform-when]")].filter((e) => !e.hidden).map((e) => e.textContent);
    expect(when()).toEqual(["Saving…"]);
    expect(list.getAttribute("aria-busy")).toBe("true");
    expect(q("[data-isoform-cancel]").getAttribute("aria-label")).toBe("Cancel “Milk”");
    expect(q("[data-isoform-retry]").hidden).toBe(true);
    expect(q("[data-isoform-dismiss]").hidden).toBe(true);
    q("[data-isoform-cancel]").focus();
    q("[data-isoform-cancel]").click();
    await settle();
    expect(item.getAttribute("data-isoform-state")).toBe("canceled");
    expect(when()).toEqual(["Not saved"]);
    expect(list.getAttribute("aria-busy")).toBe("false");
    expect(document.activeElement).toBe(q("[data-isoform-retry]"));
    q("[data-isoform-retry]").click();
    await flush();
    expect(document.activeElement).toBe(q("[data-isoform-cancel]"));
    calls[1].answer(500, { error: { type: "ServerError", message: "Internal error" } });
    await settle();
    expect(item.getAttribute("data-isoform-state")).toBe("error");
    expect(q("[data-isoform-dismiss]").hidden).toBe(false);
    q("[data-isoform-dismiss]").focus();
    q("[data-isoform-dismiss]").click();
    expect(item.isConnected).toBe(false);
    expect(document.activeElement).toBe(form.querySelector("[name=title]"));
  });
});
