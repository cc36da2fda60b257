// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ServerFnError } from "../protocol/errors.js";
import { enhance } from "../client/enhance.js";
import { request } from "../client/request.js";
import { isCanceled, toError } from "../client/to-error.js";
import { xhr } from "../client/upload.js";

// client/upload.ts: XMLHttpRequest made to look like fetch for request(), so a multipart
// form reports upload progress. XMLHttpRequest is replaced by a fake the test drives.

class FakeXhr {
  static last: FakeXhr | undefined;
  method = "";
  url = "";
  headers: Record<string, string> = {};
  body: unknown;
  responseType = "";
  status = 0;
  response: ArrayBuffer | null = null;
  responseURL = "";
  responseHeaders = "";
  upload: { onprogress?: (e: { loaded: number; total: number; lengthComputable: boolean }) => void } = {};
  onload?: () => void;
  onerror?: () => void;
  onabort?: () => void;
  aborted = false;
  constructor() {
    FakeXhr.last = this;
  }
  open(method: string, url: string) {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(k: string, v: string) {
    this.headers[k] = v;
  }
  send(body: unknown) {
    this.body = body;
  }
  abort() {
    this.aborted = true;
    this.onabort?.();
  }
  getAllResponseHeaders() {
    return this.responseHeaders;
  }
  /** test side: progress of the body going out */
  progress(loaded: number, total: number) {
    this.upload.onprogress?.({ loaded, total, lengthComputable: true });
  }
  /** test side: the answer */
  answer(status: number, body: unknown, headers: Record<string, string> = {}) {
    this.status = status;
    this.response = new TextEncoder().encode(JSON.stringify(body)).buffer as ArrayBuffer;
    this.responseURL = new URL(this.url, location.href).href;
    this.responseHeaders = Object.entries({ "content-type": "application/json", ...headers })
      .map(([k, v]) => `${k}: ${v}`)
      .join("\r\n");
    this.onload?.();
  }
}

const form = () => {
  document.body.innerHTML = `<form data-isoform="up" action="/api/up" method="post" enctype="multipart/form-data">
    <input type="file" name="f"><progress data-isoform-progress max="1" value="0" hidden></progress>
    <button type="button" data-isoform-cancel hidden>Cancel</button></form>`;
  return document.querySelector("form")!;
};
const send = (f: HTMLFormElement, signal?: AbortSignal) => request("/api/up", { method: "POST", body: new FormData(f), signal }, xhr(f));

beforeEach(() => {
  FakeXhr.last = undefined;
  vi.stubGlobal("XMLHttpRequest", FakeXhr);
});
afterEach(() => {
  vi.unstubAllGlobals();
  document.body.innerHTML = "";
});

describe("upload progress (XMLHttpRequest behind request())", () => {
  it("sends the fetch path's headers, reports progress on the form and its <progress>, and reads the answer", async () => {
    const f = form();
    const seen: { loaded: number; total: number }[] = [];
    f.addEventListener("isoform:progress", (e) => seen.push((e as CustomEvent).detail));
    const pending = send(f);
    const x = FakeXhr.last!;
    expect([x.method, x.url, x.headers["x-isoform"], x.headers.accept]).toEqual(["POST", "/api/up", "1", "application/json"]);
    expect(x.body).toBeInstanceOf(FormData);
    const bar = f.querySelector("progress")!;
    const cancel = f.querySelector("button")!;
    expect([bar.hidden, cancel.hidden]).toEqual([false, false]);
    x.progress(250, 1000);
    expect([bar.value, bar.max]).toEqual([250, 1000]);
    x.progress(1000, 1000);
    x.answer(200, { saved: 1 });
    expect(await pending).toEqual({ value: { saved: 1 } });
    expect(seen).toEqual([
      { loaded: 250, total: 1000 },
      { loaded: 1000, total: 1000 },
    ]);
    expect(cancel.hidden).toBe(true);
  });

  it("follows the redirect header and a followed HTTP redirect, as with fetch", async () => {
    const f = form();
    const a = send(f);
    FakeXhr.last!.answer(200, null, { "x-isoform-redirect": "/profile?saved=1" });
    expect(await a).toEqual({ redirect: "/profile?saved=1" });
    const b = send(f);
    const x = FakeXhr.last!;
    x.answer(200, {});
    // A login wall: the answer came from elsewhere.
    const c = send(f);
    const y = FakeXhr.last!;
    y.status = 200;
    y.response = new TextEncoder().encode("<html>").buffer as ArrayBuffer;
    y.responseURL = new URL("/login", location.href).href;
    y.responseHeaders = "content-type: text/html";
    y.onload!();
    expect(await b).toEqual({ value: {} });
    expect(await c).toEqual({ redirect: new URL("/login", location.href).href });
  });

  it("an error envelope rejects with its ServerFnError, a network failure with a Request error", async () => {
    const f = form();
    const a = send(f);
    FakeXhr.last!.answer(413, { error: { type: "PayloadTooLarge", message: "too big", limit: "fileSize" } });
    await expect(a).rejects.toMatchObject({ type: "PayloadTooLarge", status: 413, limit: "fileSize" });
    const b = send(f);
    FakeXhr.last!.onerror!();
    const err = await b.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServerFnError);
    expect(err).toMatchObject({ type: "Request" });
  });

  it("cancel in the form, or the form's AbortSignal, aborts the upload: a Canceled error", async () => {
    const f = form();
    const a = send(f);
    const x = FakeXhr.last!;
    x.progress(10, 1000);
    f.querySelector("button")!.click();
    expect(x.aborted).toBe(true);
    expect(isCanceled(toError(await a.catch((e: unknown) => e)))).toBe(true);
    expect(f.querySelector("button")!.hidden).toBe(true);

    const ctrl = new AbortController();
    const b = send(f, ctrl.signal);
    const y = FakeXhr.last!;
    ctrl.abort();
    expect(y.aborted).toBe(true);
    expect(isCanceled(toError(await b.catch((e: unknown) => e)))).toBe(true);
    // An old request's cancel button no longer reaches it.
    const c = send(f);
    const z = FakeXhr.last!;
    ctrl.abort();
    expect(z.aborted).toBe(false);
    z.answer(200, "ok");
    expect(await c).toEqual({ value: "ok" });
  });

  it("an enhanced multipart form goes by XMLHttpRequest, with the same events as fetch", async () => {
    enhance(document);
    const f = form();
    const events: string[] = [];
    for (const type of ["submit", "pending", "progress", "success", "done"]) f.addEventListener(`isoform:${type}`, () => events.push(type));
    f.requestSubmit();
    await vi.waitFor(() => expect(FakeXhr.last).toBeDefined());
    const x = FakeXhr.last!;
    expect(x.headers["x-isoform"]).toBe("1");
    x.progress(5, 5);
    x.answer(200, { ok: true });
    await vi.waitFor(() => expect(events).toContain("done"));
    expect(events).toEqual(["submit", "pending", "progress", "success", "done"]);
  });

  it("a url-encoded form that asks for progress (a [data-isoform-progress] inside) goes by XMLHttpRequest, still url-encoded", async () => {
    enhance(document);
    document.body.innerHTML = `<form data-isoform="note" action="/api/note" method="post"><textarea name="text">long text</textarea>
      <progress data-isoform-progress max="1" value="0"></progress><button>Send</button></form>`;
    const f = document.querySelector("form")!;
    FakeXhr.last = undefined;
    f.requestSubmit();
    await vi.waitFor(() => expect(FakeXhr.last).toBeDefined());
    const x = FakeXhr.last!;
    expect(x.body).toBeInstanceOf(URLSearchParams);
    expect(String(x.body)).toBe("text=long+text");
    x.progress(4, 8);
    expect(f.querySelector("progress")!.value).toBe(4);
    x.answer(200, { ok: true });
  });
});
