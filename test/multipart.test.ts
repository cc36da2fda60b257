import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp } from "./support/app.js";
import { rawExchange } from "./support/child-server.js";
import { navigationHeaders, request, type RawResponse } from "./support/request.js";

// File uploads from a plain form: parsed by busboy, held in memory within the limits.
let app: Awaited<ReturnType<typeof startApp>>;
beforeAll(async () => (app = await startApp()));
afterAll(() => app.close());

const upload = (form: FormData) => fetch(app.url + "/api/upload", { method: "POST", body: form });

describe("multipart", () => {
  it("files reach the handler with name, type, size and bytes, next to the fields", async () => {
    const form = new FormData();
    form.append("caption", "Hello ✓");
    form.append("doc", new Blob(["file body ✓"], { type: "text/plain" }), "notes.txt");
    const res = await upload(form);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      fields: { caption: "Hello ✓" },
      files: [{ field: "doc", name: "notes.txt", type: "text/plain", size: Buffer.byteLength("file body ✓"), text: "file body ✓" }],
    });
  });

  it("an empty file input (nothing chosen) is no file", async () => {
    const form = new FormData();
    form.append("caption", "x");
    form.append("doc", new Blob([], { type: "application/octet-stream" }), "");
    expect(await (await upload(form)).json()).toEqual({ fields: { caption: "x" }, files: [] });
  });

  for (const [limit, make] of [
    ["fileSize", (f: FormData) => f.append("doc", new Blob(["x".repeat(1001)]), "big.bin")],
    ["files", (f: FormData) => ["a", "b", "c"].forEach((n) => f.append(n, new Blob(["x"]), `${n}.txt`))],
    ["fields", (f: FormData) => Array.from({ length: 6 }, (_, i) => f.append(`k${i}`, "v"))],
  ] as const) {
    it(`over the per-function ${limit} limit: 413 naming it, server fine afterwards`, async () => {
      const form = new FormData();
      make(form);
      const res = await upload(form);
      expect(res.status).toBe(413);
      expect((await res.json()).error).toMatchObject({ type: "PayloadTooLarge", limit });
      const ok = new FormData();
      ok.append("caption", "after");
      expect((await upload(ok)).status).toBe(200);
    });
  }
});

// ---- part by part, written byte for byte ----------------------------------------------

const B = "----isoformTestBoundary";
const MULTIPART = `multipart/form-data; boundary=${B}`;
/** A part; its headers in UTF-8, as browsers send names, or byte for byte from latin1 (`raw`). */
const part = (headers: string[], body: string | Buffer, raw = false) =>
  Buffer.concat([Buffer.from(`--${B}\r\n${headers.join("\r\n")}\r\n\r\n`, raw ? "latin1" : "utf8"), typeof body === "string" ? Buffer.from(body) : body, Buffer.from("\r\n")]);
const field = (name: string, value: string | Buffer) => part([`Content-Disposition: form-data; name="${name}"`], value);
const file = (name: string, filename: string, content: string | Buffer, type = "text/plain") =>
  part([`Content-Disposition: form-data; name="${name}"; filename="${filename}"`, `Content-Type: ${type}`], content);
const END = Buffer.from(`--${B}--\r\n`);
const body = (...parts: Buffer[]) => Buffer.concat([...parts, END]);
const send = (fn: string, payload: Buffer, headers: Record<string, string> = { "x-isoform": "1" }) =>
  request(`${app.url}/api/${fn}`, { method: "POST", headers: { "content-type": MULTIPART, ...headers }, body: payload });
type Summary = { fields: Record<string, string>; files: Record<string, { name: string; type: string; size: number; sha256: string }> };
const sha256 = (b: string | Buffer) => createHash("sha256").update(b).digest("hex");
const error = (res: RawResponse) => (res.json() as { error: { type: string; message: string; limit?: string } }).error;

describe("multipart parts", () => {
  it("a field or file part without a name is refused, naming which", async () => {
    for (const [payload, message] of [
      [body(part(["Content-Disposition: form-data"], "x")), "A form field has no name"],
      [body(field("", "x")), "A form field has no name"],
      [body(part(['Content-Disposition: form-data; filename="a.txt"', "Content-Type: text/plain"], "x")), "A file part has no name"],
      [body(file("", "a.txt", "x")), "A file part has no name"],
    ] as const) {
      const res = await send("files_summary", payload);
      expect([message, res.status]).toEqual([message, 400]);
      expect(error(res)).toMatchObject({ type: "Deserialization", message: expect.stringContaining(message) });
    }
  });

  it("a file under the hidden name of empty lists is refused; the hidden field beside a file still names an empty list", async () => {
    for (const name of ["_isoform_empty", "_isoform_empty[]", "_isoform_empty[0]"]) {
      const res = await send("files_summary", body(field("title", "x"), file(name, "a.txt", "x")));
      expect([name, res.status]).toEqual([name, 400]);
      expect(error(res)).toMatchObject({ type: "Deserialization", message: expect.stringContaining("A file part is named _isoform_empty") });
    }
    const res = await send("multipart_keys", body(field("_isoform_empty", "tags"), file("doc", "a.txt", "x")));
    expect(res.status).toBe(200);
    expect((res.json() as string[]).sort()).toEqual(["doc", "tags"]);
  });

  it("files under list and nested names land in lists and objects, beside the fields", async () => {
    const res = await send("multipart_shape", body(file("docs[]", "a.txt", "a"), field("tags[]", "x"), file("docs[]", "b.txt", "b"), field("tags[]", "y"), file("nested[list][]", "c.txt", "c"), field("nested[name]", "n")));
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ docs: ["file:a.txt", "file:b.txt"], tags: ["x", "y"], nested: { list: ["file:c.txt"], name: "n" } });
  });

  it("names, values and file names in UTF-8 arrive as typed", async () => {
    const res = await send("files_summary", body(field("café[ü]", "漢字 🌍 ✓"), field("plain", "ascii"), file("pièce", "résumé.txt", "contenu ✓")));
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({
      fields: { "café[ü]": "漢字 🌍 ✓", plain: "ascii" },
      files: { pièce: { name: "résumé.txt", type: "text/plain", size: Buffer.byteLength("contenu ✓"), sha256: sha256("contenu ✓") } },
    });
  });

  it("a name, value or file name that is not UTF-8 is refused", async () => {
    const bad = Buffer.from([0x6f, 0x6b, 0xff]);
    for (const [payload, message] of [
      [body(field("title", bad)), "A form field is not valid UTF-8"],
      [body(part([`Content-Disposition: form-data; name="ti\xfftle"`], "x", true)), "A form field's name is not valid UTF-8"],
      [body(part([`Content-Disposition: form-data; name="doc"; filename="a\xff.txt"`, "Content-Type: text/plain"], "x", true)), "A file name is not valid UTF-8"],
      [body(part([`Content-Disposition: form-data; name="d\xffoc"; filename="a.txt"`, "Content-Type: text/plain"], "x", true)), "A file field's name is not valid UTF-8"],
    ] as const) {
      const res = await send("files_summary", payload);
      expect([message, res.status]).toEqual([message, 400]);
      expect(error(res).message).toContain(message);
    }
  });

  it("a part in a charset of its own is read in it; one holding a lone surrogate is refused", async () => {
    const utf16 = (b: Buffer) => part(['Content-Disposition: form-data; name="title"', "Content-Type: text/plain; charset=utf-16le"], b);
    const ok = await send("files_summary", body(utf16(Buffer.from("漢字 é", "utf16le"))));
    expect(ok.status).toBe(200);
    expect((ok.json() as Summary).fields).toEqual({ title: "漢字 é" });
    const lone = await send("files_summary", body(utf16(Buffer.from([0x61, 0x00, 0x00, 0xd8]))));
    expect(lone.status).toBe(400);
    expect(error(lone).message).toContain("A form field is not well-formed Unicode (a lone surrogate)");
  });

  it("fields before and after a file, nested and repeated file fields, all at their path", async () => {
    const big = randomBytes(300_000); // arrives in many chunks
    const res = await send(
      "files_summary",
      body(field("caption", "first"), file("docs[]", "a.bin", big, "application/x-a"), file("docs[]", "b.txt", "bee"), file("profile[avatar]", "me.png", "png", "image/png"), field("after", "last")),
    );
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({
      fields: { caption: "first", after: "last" },
      files: {
        "docs[0]": { name: "a.bin", type: "application/x-a", size: big.length, sha256: sha256(big) },
        "docs[1]": { name: "b.txt", type: "text/plain", size: 3, sha256: sha256("bee") },
        "profile[avatar]": { name: "me.png", type: "image/png", size: 3, sha256: sha256("png") },
      },
    });
  });

  it("an empty file with a name is a file; a file input left empty is none; bytes without a file name are a nameless file", async () => {
    const res = await send(
      "files_summary",
      body(file("empty", "empty.txt", ""), file("nothing", "", "", "application/octet-stream"), part(['Content-Disposition: form-data; name="blob"', "Content-Type: application/octet-stream"], "xyz")),
    );
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({
      fields: {},
      files: {
        empty: { name: "empty.txt", type: "text/plain", size: 0, sha256: sha256("") },
        blob: { name: "", type: "application/octet-stream", size: 3, sha256: sha256("xyz") },
      },
    });
  });
});

describe("multipart parts arriving over time", () => {
  it("a field sent after a file has finished writing still reaches the handler", async () => {
    const first = Buffer.concat([field("caption", "first"), file("doc", "a.txt", "file body")]);
    const rest = Buffer.concat([field("after", "later"), END]);
    const answer = await new Promise<RawResponse>((resolve, reject) => {
      const req = httpRequest(`${app.url}/api/files_summary`, { method: "POST", headers: { "content-type": MULTIPART, "content-length": String(first.length + rest.length), "x-isoform": "1" } }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const b = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: b, text: b.toString("utf8"), json: () => JSON.parse(b.toString("utf8")) });
        });
      });
      req.on("error", reject);
      // The file's part ends with the next boundary's start, so the file is complete and
      // written well before the last field arrives.
      req.write(Buffer.concat([first, Buffer.from(`--${B}\r\n`)]));
      setTimeout(() => req.end(rest.subarray(Buffer.byteLength(`--${B}\r\n`))), 300);
    });
    expect(answer.status).toBe(200);
    expect(answer.json()).toEqual({
      fields: { caption: "first", after: "later" },
      files: { doc: { name: "a.txt", type: "text/plain", size: 9, sha256: sha256("file body") } },
    });
  });

  it("a file input left empty is no key at all in the input", async () => {
    const res = await send("multipart_keys", body(field("a", "1"), file("nothing", "", "", "application/octet-stream"), field("b", "2")));
    expect(res.json()).toEqual(["a", "b"]);
  });
});

describe("multipart limits, exactly", () => {
  // tight_files: bodySize 100, fileSize 1000, files 3, fields 3, bodyTimeout 500 ms
  it("fields together may take bodySize characters, not one more", async () => {
    const at = await send("tight_files", body(field("a", "x".repeat(49)), field("b", "y".repeat(49))));
    expect(at.status).toBe(200);
    const over = await send("tight_files", body(field("a", "x".repeat(49)), field("b", "y".repeat(50))));
    expect(over.status).toBe(413);
    expect(error(over)).toMatchObject({ limit: "bodySize", message: expect.stringContaining("The form's fields together exceeds the limit of 100") });
  });

  it("one field over bodySize bytes is refused naming the field", async () => {
    const res = await send("tight_files", body(field("note", "z".repeat(101))));
    expect(res.status).toBe(413);
    expect(error(res)).toMatchObject({ limit: "bodySize", message: expect.stringContaining('The field "note" exceeds the limit of 100') });
  });

  it("files take fileSize each, for up to `files` of them; one byte or one file more is refused naming it", async () => {
    const three = body(file("a", "a.bin", "a".repeat(900)), file("b", "b.bin", "b".repeat(900)), file("c", "c.bin", "c".repeat(900)));
    expect(three.length).toBeLessThanOrEqual(100 + 3 * 1000);
    const ok = await send("tight_files", three);
    expect(ok.status).toBe(200);
    expect(Object.keys((ok.json() as Summary).files)).toEqual(["a", "b", "c"]);
    const big = await send("tight_files", body(file("a", "big.bin", "x".repeat(1001))));
    expect(big.status).toBe(413);
    expect(error(big)).toMatchObject({ limit: "fileSize", message: expect.stringContaining('The file "big.bin" exceeds the limit of 1000') });
    const four = await send("tight_files", body(...["a", "b", "c", "d"].map((n) => file(n, `${n}.txt`, n))));
    expect(four.status).toBe(413);
    expect(error(four)).toMatchObject({ limit: "files", message: expect.stringContaining("The number of files exceeds the limit of 3") });
  });

  // busboy's 'limit' fires when a file REACHES its limit: the codec gives it fileSize + 1, so
  // like every other limit, fileSize accepts its exact value.
  it("a file of exactly limits.fileSize bytes is accepted", async () => {
    const exact = await send("tight_files", body(file("a", "exact.bin", "e".repeat(1000))));
    expect([exact.status, exact.text]).toEqual([200, expect.stringContaining('"size":1000')]);
  });

  it("fields past `fields`, or parts past files + fields, are refused", async () => {
    const fields = await send("tight_files", body(...["a", "b", "c", "d"].map((n) => field(n, n))));
    expect(fields.status).toBe(413);
    expect(error(fields)).toMatchObject({ limit: "fields", message: expect.stringContaining("The number of fields exceeds the limit of 3") });
    const parts = await send("tight_files", body(...["a", "b", "c"].map((n) => file(n, `${n}.txt`, n)), ...["d", "e", "f", "g"].map((n) => field(n, n))));
    expect(parts.status).toBe(413);
    expect(error(parts)).toMatchObject({ limit: "fields", message: expect.stringMatching(/^The number of (fields|parts) exceeds the limit of (3|6)/) });
  });

  it("the whole body may be bodySize + fileSize × files bytes, whatever it holds (a preamble too), not one more", async () => {
    const max = 100 + 1000 * 3;
    const parts = body(field("caption", "kept"), file("a", "a.bin", "a".repeat(500)));
    const withPreamble = (n: number) => Buffer.concat([Buffer.from("p".repeat(n) + "\r\n"), parts]);
    const fits = withPreamble(max - parts.length - 2);
    expect(fits.length).toBe(max);
    const at = await send("tight_files", fits);
    expect(at.status).toBe(200);
    expect((at.json() as Summary).fields).toEqual({ caption: "kept" });
    const over = await send("tight_files", withPreamble(max - parts.length - 1));
    expect(over.status).toBe(413);
    expect(error(over)).toMatchObject({ limit: "bodySize", message: expect.stringContaining(`The form with its files exceeds the limit of ${max}`) });
  });

  it("a body that stops arriving is 408 bodyTimeout, and the connection is closed", async () => {
    const { port } = new URL(app.url);
    const started = Date.now();
    let closed = false;
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), "127.0.0.1", () => {
        socket.write(`POST /api/tight_files HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${MULTIPART}\r\nContent-Length: 500\r\nX-Isoform: 1\r\n\r\n`);
        socket.write(field("caption", "then nothing"));
      });
      let data = "";
      socket.on("data", (c) => {
        data += c;
        // The whole envelope: wait a moment for the server to close, then give up waiting.
        if (data.includes(`"limit":"bodyTimeout"}}`)) setTimeout(() => (socket.destroy(), resolve(data)), 500);
      });
      socket.on("close", () => {
        closed = true;
        resolve(data);
      });
      socket.on("error", reject);
      setTimeout(() => socket.destroy(), 5000);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(answer).toMatch(/"limit":"bodyTimeout"/);
    expect(Date.now() - started).toBeLessThan(3000);
    // Deno.serve keeps the connection whatever a Response says (Connection is not the
    // handler's to set there); every node:http-based server closes it.
    if (app.adapter !== "deno") expect(closed).toBe(true);
  });

  it("a navigation whose file is over fileSize goes back to its page with the text fields read before it (refused at that byte), not the file", async () => {
    const res = await send("tight_files", body(field("caption", "kept"), file("doc", "big.bin", "x".repeat(1500)), field("after", "never read")), navigationHeaders());
    expect(res.status).toBe(303);
    const cookie = ([] as string[]).concat(res.headers["set-cookie"] ?? []).find((c) => c.startsWith("isoform_outcome="))!;
    const raw = decodeURIComponent(cookie.split(";")[0]!.slice("isoform_outcome=".length));
    const outcome = JSON.parse(Buffer.from(raw.split(".")[0]!, "base64url").toString("utf8"));
    expect(outcome.input).toEqual({ caption: "kept" });
    expect(outcome.error).toMatchObject({ type: "PayloadTooLarge", limit: "fileSize" });
  });
});

describe("multipart refusals that go back to the page", () => {
  const outcomeOf = (res: RawResponse) => {
    const cookie = ([] as string[]).concat(res.headers["set-cookie"] ?? []).find((c) => c.startsWith("isoform_outcome="))!;
    const raw = decodeURIComponent(cookie.split(";")[0]!.slice("isoform_outcome=".length));
    return JSON.parse(Buffer.from(raw.split(".")[0]!, "base64url").toString("utf8"));
  };

  it("files read before the refusal never go back, not even as placeholders", async () => {
    const res = await send("tight_files", body(file("small", "s.txt", "ok"), field("caption", "kept"), field("tags[]", "a"), file("doc", "big.bin", "x".repeat(1500))), navigationHeaders());
    expect(res.status).toBe(303);
    const outcome = outcomeOf(res);
    expect(outcome.input).toEqual({ caption: "kept", tags: ["a"] });
    expect(JSON.stringify(outcome)).not.toMatch(/file:|\\u0001/);
  });

  it("a file written in full before the refusal does not go back either", async () => {
    // The first file is on disk (its temporary file closed) before the one over fileSize arrives.
    const first = Buffer.concat([file("small", "s.txt", "ok"), field("caption", "kept")]);
    const rest = body(file("doc", "big.bin", "x".repeat(1500)));
    // Connection: close: the answer ends with the connection, however each adapter frames it.
    const headers = { ...navigationHeaders(), "content-type": MULTIPART, "content-length": String(first.length + rest.length), connection: "close" };
    const head = `POST /api/tight_files HTTP/1.1\r\nHost: 127.0.0.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("")}\r\n`;
    const res = await rawExchange(Number(new URL(app.url).port), [head, first, { pauseMs: 200 }, rest], 4000);
    expect(res.status).toBe(303);
    const outcome = outcomeOf({ headers: { "set-cookie": res.headers["set-cookie"] } } as unknown as RawResponse);
    expect(outcome.input).toEqual({ caption: "kept" });
  });

  it("fields that cannot be read back (too deep) go back as nothing, with the refusal", async () => {
    const res = await send("tight_files", body(field("a[b][c][d][e][f][g]", "x"), file("doc", "big.bin", "x".repeat(1500))), navigationHeaders());
    expect(res.status).toBe(303);
    const outcome = outcomeOf(res);
    expect(outcome.input).toEqual({});
    expect(outcome.error).toMatchObject({ limit: "fileSize" });
  });

  it("an upload that cannot be written (uploadDir under a file) is a 500 without details, not a hang", async () => {
    const notADir = join(tmpdir(), `isoform-not-a-dir-${process.pid}-${Date.now()}`);
    writeFileSync(notADir, "");
    const broken = await startApp({ uploadDir: join(notADir, "uploads") });
    try {
      const started = Date.now();
      const res = await request(`${broken.url}/api/files_summary`, { method: "POST", headers: { "content-type": MULTIPART, "x-isoform": "1" }, body: body(file("doc", "a.txt", "x")) });
      expect(res.status).toBe(500);
      expect(res.json()).toEqual({ error: { type: "ServerError", message: "Internal error" } });
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      await broken.close();
      rmSync(notADir, { force: true });
    }
  });
});

describe("uploads' temporary files", () => {
  let dir: string;
  let own: Awaited<ReturnType<typeof startApp>>;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "isoform-uploads-test-"));
    own = await startApp({ uploadDir: dir });
  });
  afterAll(async () => {
    await own.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const sendTo = (fn: string, payload: Buffer) => request(`${own.url}/api/${fn}`, { method: "POST", headers: { "content-type": MULTIPART, "x-isoform": "1" }, body: payload });

  it("are written to uploadDir, readable by their owner only, while the handler runs", async () => {
    const res = await sendTo("upload_files", body(file("a", "a.txt", "aaa"), file("b", "b.txt", "bbb")));
    expect(res.json()).toEqual([{ dir, mode: "600" }, { dir, mode: "600" }]);
  });

  it("are gone once the answer is sent: after a success, and after a refusal mid-file", async () => {
    expect((await sendTo("files_summary", body(file("a", "a.txt", "aaa"), file("b", "b.bin", randomBytes(100_000))))).status).toBe(200);
    expect(readdirSync(dir)).toEqual([]);
    expect((await sendTo("tight_files", body(file("a", "a.txt", "aaa"), file("big", "big.bin", "x".repeat(5000))))).status).toBe(413);
    expect(readdirSync(dir)).toEqual([]);
    // refused at the fourth file's headers, while the third's temporary file is being opened
    expect((await sendTo("tight_files", body(...["a", "b", "c", "d"].map((n) => file(n, `${n}.txt`, n))))).status).toBe(413);
    await new Promise((r) => setTimeout(r, 50));
    expect(readdirSync(dir)).toEqual([]);
  });
});
