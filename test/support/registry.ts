import { createHash } from "node:crypto";
import { statSync } from "node:fs";
import { dirname } from "node:path";
import { z } from "zod";
import { isUploadedFile } from "../../server/codecs/uploaded-file.js";
import { redirect, Registry, serverFn, ServerFnError, type PageHelpers, type UploadedFile } from "../../server/index.js";

// The test registry and page, apart from any server framework: the Bun and Deno servers
// (test/support/runtime-server.ts) import them too.

/**
 * The functions the server suites call, in a registry of their own: one echo per encoding,
 * validation, chosen and unexpected errors, redirects, a slow handler that watches its
 * abort signal, and uploads.
 */
export function testRegistry() {
  const registry = new Registry();
  const echo = (name: string, encoding: "url" | "json" | "cbor" | "get-json" | "get-cbor" | "multipart") =>
    serverFn({ name, encoding, registry }, async (input) => input);
  const fns = {
    echoUrl: echo("echo_url", "url"),
    echoJson: echo("echo_json", "json"),
    echoCbor: echo("echo_cbor", "cbor"),
    echoGetJson: echo("echo_get_json", "get-json"),
    echoGetCbor: echo("echo_get_cbor", "get-cbor"),
    echoMultipart: echo("echo_multipart", "multipart"),
    addTodo: serverFn(
      { name: "add_todo", registry, input: z.object({ title: z.string().trim().min(1, "Title is required").max(200, "Title is too long"), body: z.string().max(100, "Body is too long").optional(), password: z.string().optional() }), sensitive: ["secret_note"] },
      async ({ title }) => ({ id: 1, title }),
    ),
    conflict: serverFn({ name: "conflict", registry }, async () => {
      throw new ServerFnError("That name is taken", { status: 409 });
    }),
    teapot: serverFn({ name: "teapot", registry }, async () => {
      throw new ServerFnError("I'm a teapot", { status: 418 });
    }),
    crash: serverFn({ name: "crash", registry }, async () => {
      throw new Error("secret database password in this message");
    }),
    moveCtx: serverFn({ name: "move_ctx", registry }, async (_input, ctx) => ctx.redirect("/done?via=ctx")),
    moveThrow: serverFn({ name: "move_throw", registry }, async () => {
      throw redirect("/done?via=throw");
    }),
    moveOffsite: serverFn({ name: "move_offsite", registry }, async () => {
      throw redirect("https://evil.example/phish");
    }),
    webhook: serverFn({ name: "webhook", registry, csrf: false }, async () => "received"),
    listView: serverFn(
      { name: "list_view", encoding: "get-json", registry, view: (items: string[], page) => `<ul>${items.map((i) => `<li>${i}</li>`).join("")}</ul>${page.form("add_todo")}</form>` },
      async () => ["one", "two"],
    ),
    v2: serverFn({ name: "v2_thing", prefix: "/v2", endpoint: "things/make", registry }, async () => "made"),
    tight: serverFn({ name: "tight", registry, limits: { bodySize: 100, depth: 2, parameters: 5, arrayLength: 3 } }, async (i) => i),
    tightUpload: serverFn({ name: "tight_upload", encoding: "multipart", registry, limits: { bodySize: 100, fileSize: 10_000, files: 1 } }, async () => "ok"),
    upload: serverFn({ name: "upload", encoding: "multipart", registry, limits: { fileSize: 1000, files: 2, fields: 5 } }, async (input) => {
      const files = Object.entries(input).filter(([, v]) => typeof v === "object" && v !== null && "bytes" in v) as [string, UploadedFile][];
      return {
        fields: Object.fromEntries(Object.entries(input).filter(([, v]) => typeof v === "string")),
        files: await Promise.all(files.map(async ([field, f]) => ({ field, name: f.name, type: f.type, size: f.size, text: Buffer.from(await f.bytes()).toString("utf8") }))),
      };
    }),
    // What a multipart handler got, files by path with a digest of their bytes (test/multipart.test.ts).
    filesSummary: serverFn({ name: "files_summary", encoding: "multipart", registry }, async (input) => await summarize(input)),
    // The input's shape, arrays and objects as they are, each file as "file:<its name>" (test/multipart.test.ts).
    multipartShape: serverFn({ name: "multipart_shape", encoding: "multipart", registry }, async (input) => JSON.parse(JSON.stringify(input, (_k, v: unknown) => (isUploadedFile(v) ? `file:${v.name}` : v)))),
    // The names a multipart handler's input has, whatever their values (test/multipart.test.ts).
    multipartKeys: serverFn({ name: "multipart_keys", encoding: "multipart", registry }, async (input) => Object.keys(input)),
    // Where and how an upload's temporary file was written, seen from its handler (test/multipart.test.ts).
    uploadFiles: serverFn({ name: "upload_files", encoding: "multipart", registry }, async (input) =>
      Object.values(input)
        .filter(isUploadedFile)
        .map((f) => ({ dir: dirname(f.path), mode: (statSync(f.path).mode & 0o777).toString(8) })),
    ),
    tightFiles: serverFn(
      { name: "tight_files", encoding: "multipart", registry, limits: { bodySize: 100, fileSize: 1000, files: 3, fields: 3, bodyTimeout: 500 } },
      async (input) => await summarize(input),
    ),
  };
  return { registry, fns };
}

export type TestFns = ReturnType<typeof testRegistry>["fns"];

/** Text fields by their path (`a[b][0]`), files as `{ name, type, size, sha256 }` by theirs. */
async function summarize(input: unknown) {
  const fields: Record<string, string> = {};
  const files: Record<string, { name: string; type: string; size: number; sha256: string }> = {};
  const found: [string, UploadedFile][] = [];
  const walk = (v: unknown, path: string) => {
    if (typeof v === "string") fields[path] = v;
    else if (isUploadedFile(v)) found.push([path, v]);
    else if (v && typeof v === "object") for (const [k, child] of Object.entries(v)) walk(child, path ? `${path}[${k}]` : k);
  };
  walk(input, "");
  for (const [path, f] of found) files[path] = await summary(f);
  return { fields, files };
}

/** A file's name, type, size and the sha256 of its bytes, read as a stream (never whole in memory). */
async function summary(f: UploadedFile) {
  const hash = createHash("sha256");
  for await (const chunk of f.stream()) hash.update(chunk as Buffer);
  return { name: f.name, type: f.type, size: f.size, sha256: hash.digest("hex") };
}

/** The one test page: the add_todo form with what was typed, its errors, and the last result. */
export function testPage(f: PageHelpers): string {
  return (
    `<!doctype html><title>${escape(f.title("t"))}</title>${f.notice()}${f.form("add_todo")}<input name="title" value="${escape(f.value("add_todo", "title"))}">` +
    `<textarea name="body">${escape(f.value("add_todo", "body"))}</textarea>${f.error("add_todo", "title")}${f.error("add_todo", "body")}${f.formError("add_todo")}</form>` +
    `<pre id="result">${escape(JSON.stringify(f.result("add_todo") ?? null))}</pre><pre id="failed">${f.failed("add_todo")}</pre>`
  );
}

function escape(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/"/g, "&quot;");
}
