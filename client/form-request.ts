/**
 * What a native submission of `form` by `submitter` would send, so the enhanced request
 * carries exactly the same thing: the submitter's formaction/formmethod/formenctype win
 * over the form's, and FormData includes the submitter's own name=value.
 */
export interface FormRequest {
  url: string;
  method: "GET" | "POST";
  body?: FormData | URLSearchParams;
  /** the submitted fields, for events and multi-action rendering (files by name) */
  input: Record<string, string | string[]>;
  /** the same fields in order, as name/value pairs */
  pairs: [string, string][];
}

export function formRequest(form: HTMLFormElement, submitter: HTMLElement | null): FormRequest | undefined {
  const attr = (name: string) => submitter?.getAttribute(`form${name}`) ?? form.getAttribute(name);
  const url = new URL(attr("action") ?? "", location.href);
  const method = (attr("method") ?? "get").toUpperCase();
  const enctype = attr("enctype") ?? "application/x-www-form-urlencoded";
  // Anything the platform does better: other origins, dialogs, other targets, text/plain.
  const target = submitter?.getAttribute("formtarget") ?? form.getAttribute("target");
  if (url.origin !== location.origin || (method !== "GET" && method !== "POST") || (target && target !== "_self")) return;
  if (enctype === "text/plain") return;

  // A submitter argument is ignored by engines that predate it: the request then lacks only
  // the submitter's name=value, as in a script-less submission via Enter on those engines.
  const data = new FormData(form, submitter);
  // File inputs become their names in url-encoded bodies, and line breaks CRLF, as a
  // browser's own form submission writes them (FormData itself keeps a textarea's "\n").
  const pairs = [...data].map(([k, v]): [string, string] => [k, typeof v === "string" ? v.replace(/\r?\n|\r/g, "\r\n") : v.name]);
  const input: Record<string, string | string[]> = {};
  for (const [k, v] of pairs) {
    const prev = input[k];
    input[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  if (method === "GET") {
    url.search = new URLSearchParams(pairs).toString();
    return { url: url.href, method, input, pairs };
  }
  // A form of a JSON or CBOR function (the helper writes its media type as the enctype, which
  // a browser without JavaScript reads as url-encoded) goes as FormData to the lazy chunk that
  // encodes it (client/form-object.ts), as multipart does.
  return { url: url.href, method, input, pairs, body: /^multipart|\/(json|cbor)$/.test(enctype) ? data : new URLSearchParams(pairs) };
}
