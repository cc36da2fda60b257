import { randomUUID } from "node:crypto";
import busboy from "busboy";
import { CONTENT_TYPE } from "../../protocol/wire.js";
import { bodyTimedOut, tooLarge, unreadable } from "../request-body.js";
import { ServerFnError } from "../../protocol/errors.js";
import { describe } from "../describe.js";
import { deserializationError } from "../shape.js";
import { encodeJson, RefusedInput, type Codec } from "./codec.js";
import { parseQuery } from "./qs-parse.js";
import { UploadedFile, Uploads } from "./uploaded-file.js";

export { isUploadedFile, UploadedFile } from "./uploaded-file.js";

/**
 * `multipart`: POST, `multipart/form-data` from a plain form with file inputs, parsed by
 * busboy as it streams. Fields together are held to `limits.bodySize`; each file is written to
 * a temporary file as it arrives (`UploadedFile`, under `uploads.dir`), with backpressure from
 * the disk to the socket, so memory stays flat whatever the file's size. The caller removes
 * the files (`uploads.removeAll()`) once the handler settled or decoding failed. Field names
 * use the same qs bracket syntax as `url` (`address[city]`, `tags[]`), with the same limits.
 *
 * A file over `fileSize`, one file too many, or a body over the total refuses the request at
 * the byte that crosses the limit, answered while the client is still sending (the rest is
 * drained unread); the text fields read so far (a browser sends them in the form's order,
 * before a file that follows them) come back to the page as a validation error would bring
 * them. Everything busboy calls us with is untrusted: a throw
 * inside one of its listeners would escape into its stream and take the process down, so
 * each listener catches and fails this request only.
 */
export const multipartCodec: Codec = {
  encoding: "multipart",
  accepts: CONTENT_TYPE.multipart,
  responseType: "application/json; charset=utf-8",
  decode({ request, limits, uploads = new Uploads() }) {
    // Fields share the body limit; files have their own (fileSize × files) on top of it. A
    // body declared larger is still read up to this limit, not refused unread: the fields
    // before the file (a browser sends them in the form's order) go back to the page.
    const max = limits.bodySize + limits.fileSize * limits.files;
    return new Promise((settleOk, settleErr) => {
      const timer = setTimeout(() => fail(bodyTimedOut(limits.bodyTimeout)), limits.bodyTimeout);
      const resolve = (value: unknown) => {
        clearTimeout(timer);
        settleOk(value);
      };
      const reject = (err: unknown) => {
        clearTimeout(timer);
        settleErr(err);
      };
      let bb: busboy.Busboy;
      try {
        bb = busboy({
          headers: { "content-type": request.header("content-type") },
          // Names, filenames and values are read as latin1 (one char per byte, lossless), so
          // `utf8Text` can refuse what is not UTF-8 instead of patching it with U+FFFD.
          defParamCharset: "latin1",
          defCharset: "latin1",
          limits: {
            // busboy's 'limit' fires when a file reaches this size: one more than ours makes
            // it the byte that crosses the limit (a file of exactly fileSize is accepted).
            fileSize: limits.fileSize + 1,
            files: limits.files,
            fields: limits.fields,
            fieldSize: limits.bodySize,
            parts: limits.files + limits.fields,
          },
        });
      } catch (err) {
        reject(deserializationError(`Malformed multipart request: ${describe(err)}`));
        return;
      }
      // Placeholders stand for files inside the query we build, so files land at the
      // same nested path their field name says; the token cannot be guessed by a sender.
      const token = `\u0001file:${randomUUID()}:`;
      const encodedToken = encodeURIComponent(token);
      const files: (UploadedFile | undefined)[] = [];
      const pairs: string[] = [];
      let fieldBytes = 0;
      let failed = false;
      let pending = 0;
      let finished = false;

      /** `internal`: not the sender's fault, so passed on as is (logged, a 500 without details) */
      const fail = (err: unknown, internal = false) => {
        if (failed) return;
        failed = true;
        // Node drains the rest so the client still reads our answer (a timed-out one is closed).
        request.body.discard(bb, count);
        void uploads.removeAll();
        reject(internal || err instanceof ServerFnError || err instanceof RefusedInput ? err : deserializationError(`Malformed multipart body: ${describe(err)}`));
      };
      /** The fields read so far, for a refusal that brings them back to the page. */
      const fieldsSoFar = (): Record<string, unknown> => {
        try {
          // Files (their placeholders) never go back to a page.
          return parseQuery(pairs.filter((p) => p !== "" && !p.includes(encodedToken)).join("&"), limits);
        } catch {
          return {};
        }
      };
      let received = 0;
      const count = (chunk: Uint8Array) => {
        received += chunk.byteLength;
        // The byte that crosses the limit ends the request, mid-file if need be.
        if (received > max) fail(new RefusedInput(tooLarge("bodySize", "The form with its files", max), fieldsSoFar()));
      };
      const done = () => {
        if (failed || !finished || pending > 0) return;
        try {
          resolve(replaceFiles(parseQuery(pairs.filter((p) => p !== "").join("&"), limits), token, files));
        } catch (err) {
          reject(err);
        }
      };

      bb.on("field", (rawName, value, info) => {
        try {
          if (typeof rawName !== "string" || rawName === "") throw deserializationError("A form field has no name; give every part a name in its Content-Disposition");
          const name = utf8Text(rawName, "A form field's name");
          if (info.valueTruncated) throw tooLarge("bodySize", `The field "${name}"`, limits.bodySize);
          const text = utf8Text(value, "A form field");
          fieldBytes += name.length + text.length;
          if (fieldBytes > limits.bodySize) throw tooLarge("bodySize", "The form's fields together", limits.bodySize);
          pairs.push(`${encodeURIComponent(name)}=${encodeURIComponent(text)}`);
        } catch (err) {
          fail(err);
        }
      });
      bb.on("file", (rawName, stream, info) => {
        // First, before anything can throw: a body cut off inside a file errors on the file's
        // stream, not only on busboy's, and an unheard 'error' event ends the process.
        stream.on("error", fail);
        try {
          // Without a name a file has no place in the input (it used to land at "undefined").
          if (typeof rawName !== "string" || rawName === "") throw deserializationError("A file part has no name; give every part a name in its Content-Disposition");
          const name = utf8Text(rawName, "A file field's name");
          const filename = info.filename === undefined ? "" : utf8Text(info.filename, "A file name");
          const key = encodeURIComponent(name);
          const type = info.mimeType || "application/octet-stream";
          const { path, out } = uploads.create();
          // Its place among the fields is taken now, in the body's order: files finish
          // writing in any order.
          const index = files.push(undefined) - 1;
          const at = pairs.push(`${key}=${encodeURIComponent(token + index)}`) - 1;
          let size = 0;
          pending++;
          stream.on("data", (c: Buffer) => {
            size += c.length;
          });
          stream.on("limit", () => {
            // Refused at the byte over the limit; the fields read so far go back to the page.
            fail(new RefusedInput(tooLarge("fileSize", `The file "${filename || name}"`, limits.fileSize), fieldsSoFar()));
          });
          out.on("error", (err) => fail(new Error(`An upload could not be written to ${uploads.dir}: ${describe(err)}; check isoform({ uploadDir })`), true));
          // pipe: the disk's backpressure pauses busboy, which pauses the socket.
          stream.pipe(out);
          out.on("close", () => {
            pending--;
            if (failed) return;
            try {
              // A file input left empty still sends a part with no name and no bytes: skip it,
              // as a handler would otherwise see a phantom empty file (its temporary file is
              // removed with the others).
              if (!filename && size === 0) pairs[at] = "";
              else files[index] = new UploadedFile(filename, type, size, path);
              done();
            } catch (err) {
              fail(err);
            }
          });
        } catch (err) {
          stream.resume();
          fail(err);
        }
      });
      bb.on("filesLimit", () => fail(new RefusedInput(tooLarge("files", "The number of files", limits.files), fieldsSoFar())));
      bb.on("fieldsLimit", () => fail(tooLarge("fields", "The number of fields", limits.fields)));
      bb.on("partsLimit", () => fail(tooLarge("fields", "The number of parts", limits.files + limits.fields)));
      bb.on("error", fail);
      bb.on("close", () => {
        finished = true;
        done();
      });
      request.body.pipe(bb, count, (err) => fail(unreadable(err)));
    });
  },
  encode: encodeJson,
};

/**
 * A name or value as UTF-8. busboy read the bytes as latin1, one char per byte, unless the
 * part declared a charset of its own (only non-browser clients do): then the chars are
 * busboy's decoding, kept if well-formed.
 */
function utf8Text(value: string, what: string): string {
  // eslint-disable-next-line no-control-regex
  if (!/[^\x00-\x7f]/.test(value)) return value;
  if (/[^\x00-\xff]/.test(value)) {
    if (!value.isWellFormed()) throw deserializationError(`${what} is not well-formed Unicode (a lone surrogate); send UTF-8`);
    return value;
  }
  try {
    return utf8.decode(Buffer.from(value, "latin1"));
  } catch {
    throw deserializationError(`${what} is not valid UTF-8; send UTF-8 text`);
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function replaceFiles(value: unknown, token: string, files: (UploadedFile | undefined)[]): unknown {
  if (typeof value === "string") return value.startsWith(token) ? files[Number(value.slice(token.length))] : value;
  if (Array.isArray(value)) return value.map((v) => replaceFiles(v, token, files));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = replaceFiles(v, token, files);
    return out;
  }
  return value;
}
