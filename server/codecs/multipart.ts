import { randomUUID } from "node:crypto";
import busboy from "busboy";
import { CONTENT_TYPE } from "../../client/wire.js";
import { declaredOver, tooLarge } from "../body.js";
import { deserializationError } from "../shape.js";
import { encodeJson, type Codec } from "./codec.js";
import { parseQuery } from "./qs-parse.js";

/** An uploaded file as a handler receives it. */
export interface UploadedFile {
  /** the file name the browser sent (never trust it as a path) */
  name: string;
  /** the media type the browser declared */
  type: string;
  size: number;
  bytes: Uint8Array;
}

export function isUploadedFile(v: unknown): v is UploadedFile {
  return typeof v === "object" && v !== null && (v as UploadedFile).bytes instanceof Uint8Array && typeof (v as UploadedFile).name === "string";
}

/**
 * `multipart`: POST, `multipart/form-data` from a plain form with file inputs, parsed by
 * busboy as it streams. Fields together are held to `limits.bodySize`; files are held in
 * memory, bounded by `limits.fileSize` × `limits.files`, so nothing is written to disk and
 * nothing needs cleaning up; a refused
 * upload's bytes are dropped as they arrive. Field names use the same qs bracket syntax as
 * `url` (`address[city]`, `tags[]`), with the same limits and checks.
 */
export const multipartCodec: Codec = {
  encoding: "multipart",
  accepts: CONTENT_TYPE.multipart,
  responseType: "application/json; charset=utf-8",
  decode({ req, limits }) {
    // Fields share the body limit; files have their own (fileSize × files) on top of it.
    const max = limits.bodySize + limits.fileSize * limits.files;
    if (declaredOver(req, max)) return Promise.reject(tooLarge("bodySize", "Request body", max));
    return new Promise((resolve, reject) => {
      let bb: busboy.Busboy;
      try {
        bb = busboy({
          headers: req.headers,
          limits: {
            fileSize: limits.fileSize,
            files: limits.files,
            fields: limits.fields,
            fieldSize: limits.bodySize,
            parts: limits.files + limits.fields,
          },
        });
      } catch (err) {
        reject(deserializationError(`Malformed multipart request: ${(err as Error).message}`));
        return;
      }
      // Placeholders stand for files inside the query we build, so files land at the
      // same nested path their field name says; the token cannot be guessed by a sender.
      const token = `\u0001file:${randomUUID()}:`;
      const files: UploadedFile[] = [];
      const pairs: string[] = [];
      let fieldBytes = 0;
      let failed = false;
      let pending = 0;
      let finished = false;

      const fail = (err: unknown) => {
        if (failed) return;
        failed = true;
        req.unpipe(bb);
        req.resume(); // drain the rest so the client still reads our answer
        reject(err);
      };
      const done = () => {
        if (failed || !finished || pending > 0) return;
        try {
          const input = parseQuery(pairs.join("&"), limits);
          resolve(replaceFiles(input, token, files));
        } catch (err) {
          reject(err);
        }
      };

      bb.on("field", (name, value, info) => {
        if (info.valueTruncated) return fail(tooLarge("bodySize", `The field "${name}"`, limits.bodySize));
        fieldBytes += name.length + value.length;
        if (fieldBytes > limits.bodySize) return fail(tooLarge("bodySize", "The form's fields together", limits.bodySize));
        pairs.push(`${encodeURIComponent(name)}=${encodeURIComponent(value)}`);
      });
      bb.on("file", (name, stream, info) => {
        const chunks: Buffer[] = [];
        let size = 0;
        pending++;
        stream.on("data", (c: Buffer) => {
          size += c.length;
          chunks.push(c);
        });
        stream.on("limit", () => fail(tooLarge("fileSize", `The file "${info.filename}"`, limits.fileSize)));
        // A body cut off inside a file errors on the file's stream, not only on busboy's: an
        // unheard 'error' event would take the whole process down.
        stream.on("error", (err: Error) => fail(deserializationError(`Malformed multipart body: ${err.message}`)));
        stream.on("close", () => {
          pending--;
          // A file input left empty still sends a part with no name and no bytes: skip it,
          // as a handler would otherwise see a phantom empty file.
          if (!info.filename && size === 0) {
            done();
            return;
          }
          const index = files.push({
            name: info.filename ?? "",
            type: info.mimeType || "application/octet-stream",
            size,
            bytes: new Uint8Array(Buffer.concat(chunks, size)),
          }) - 1;
          pairs.push(`${encodeURIComponent(name)}=${encodeURIComponent(token + index)}`);
          done();
        });
      });
      bb.on("filesLimit", () => fail(tooLarge("files", "The number of files", limits.files)));
      bb.on("fieldsLimit", () => fail(tooLarge("fields", "The number of fields", limits.fields)));
      bb.on("partsLimit", () => fail(tooLarge("fields", "The number of parts", limits.files + limits.fields)));
      bb.on("error", (err: Error) => fail(deserializationError(`Malformed multipart body: ${err.message}`)));
      bb.on("close", () => {
        finished = true;
        done();
      });
      req.on("error", (err) => fail(deserializationError(`The request body could not be read: ${err.message}`)));
      req.pipe(bb);
    });
  },
  encode: encodeJson,
};

function replaceFiles(value: unknown, token: string, files: UploadedFile[]): unknown {
  if (typeof value === "string") return value.startsWith(token) ? files[Number(value.slice(token.length))] : value;
  if (Array.isArray(value)) return value.map((v) => replaceFiles(v, token, files));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = replaceFiles(v, token, files);
    return out;
  }
  return value;
}
