import { formObject } from "./form-object.js";

/**
 * Upload progress (docs/client.md): a form with a file input, or with a `[data-isoform-progress]`
 * element, is sent with XMLHttpRequest, because fetch reports no upload progress in Chromium.
 * Everything else stays the fetch path's: `xhr(form)` is a `fetch` for `request()` (client/request.ts),
 * which sets the same headers and reads the answer the same way (redirects, envelopes, CBOR).
 *
 * While the body goes out, the form gets `isoform:progress` events with `{ loaded, total }`
 * and its `<progress data-isoform-progress>` elements follow; a `[data-isoform-cancel]` in the
 * form aborts the upload (as the form's AbortSignal does: a second submit in abort mode).
 * Both may be rendered `hidden`: they are shown when an upload starts, the cancel hidden
 * again when it ends.
 * Loaded lazily by client/enhance.ts, with the multi-action forms' chunk.
 */
export function xhr(form: HTMLFormElement): typeof fetch {
  return (url, init = {}) => {
    const type = form.getAttribute("enctype");
    // A form of a JSON or CBOR function goes in that encoding; any other starts at once.
    if (type === "application/json" || type === "application/cbor") return encoded(type, init).then((body) => send(form, url, body));
    return send(form, url, init);
  };
}

/** A form's fields in its function's encoding, JSON or CBOR (client/form-object.ts). */
async function encoded(type: string, init: RequestInit): Promise<RequestInit> {
  const fields = formObject(init.body as FormData);
  const headers = new Headers(init.headers);
  headers.set("content-type", type);
  const body = type === "application/json" ? JSON.stringify(fields) : ((await import("./cbor.js")).encode(fields) as Uint8Array<ArrayBuffer>);
  return { ...init, headers, body };
}

function send(form: HTMLFormElement, url: RequestInfo | URL, init: RequestInit): Promise<Response> {
    return new Promise((resolve, reject) => {
      const x = new XMLHttpRequest();
      const signal = init.signal;
      const canceled = () => reject(new DOMException("The upload was canceled", "AbortError"));
      const cancels = [...form.querySelectorAll<HTMLElement>("[data-isoform-cancel]")];
      // Rendered `hidden` (they do nothing without JavaScript), shown while an upload goes out.
      for (const el of [...cancels, ...form.querySelectorAll<HTMLElement>("[data-isoform-progress]")]) el.hidden = false;
      const done = () => {
        signal?.removeEventListener("abort", abort);
        for (const el of cancels) {
          el.removeEventListener("click", abort);
          el.hidden = true;
        }
      };
      const abort = () => x.abort();
      x.open(init.method ?? "GET", String(url));
      new Headers(init.headers).forEach((v, k) => x.setRequestHeader(k, v));
      x.responseType = "arraybuffer";
      x.upload.onprogress = (e) => {
        const total = e.lengthComputable ? e.total : 0;
        for (const el of form.querySelectorAll<HTMLProgressElement>("[data-isoform-progress]")) {
          el.max = total || 1;
          el.value = e.loaded;
        }
        form.dispatchEvent(new CustomEvent("isoform:progress", { bubbles: true, detail: { loaded: e.loaded, total } }));
      };
      x.onload = () => {
        done();
        const headers = new Headers();
        for (const line of x.getAllResponseHeaders().trim().split(/\r?\n/)) {
          const at = line.indexOf(":");
          if (at > 0) headers.append(line.slice(0, at).trim(), line.slice(at + 1).trim());
        }
        const status = x.status;
        const res = new Response(/^(101|204|205|304)$/.test(String(status)) ? null : (x.response as ArrayBuffer), { status, headers });
        // What fetch reports of a followed redirect (a login wall): request() sends the page there.
        Object.defineProperties(res, { url: { value: x.responseURL }, redirected: { value: !!x.responseURL && x.responseURL !== new URL(String(url), location.href).href } });
        resolve(res);
      };
      // What fetch rejects with: a TypeError for the network, an AbortError for a cancel.
      x.onerror = () => {
        done();
        reject(new TypeError("Failed to fetch"));
      };
      x.onabort = () => {
        done();
        canceled();
      };
      if (signal?.aborted) return canceled();
      signal?.addEventListener("abort", abort);
      for (const el of cancels) el.addEventListener("click", abort);
      x.send(init.body as XMLHttpRequestBodyInit | null | undefined);
    });
}
