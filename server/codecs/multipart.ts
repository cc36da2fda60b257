import { randomUUID } from "node:crypto";
import type { Readable } from "node:stream";
import busboy from "busboy";
import { CONTENT_TYPE, EMPTY_FIELD } from "../../protocol/wire.js";
import { bodyTimedOut, tooLarge, unreadable, type BodyReader } from "../request-body.js";
import { ServerFnError } from "../../protocol/errors.js";
import { describe } from "../describe.js";
import { TimeLimited } from "../time-limited.js";
import type { Limits } from "../limits.js";
import { deserializationError, FORBIDDEN_KEYS, forbiddenKey, nulByte, tooManyParameters } from "../shape.js";
import { encodeJson, RefusedInput, type Codec, type DecodeInput } from "./codec.js";
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
  decode(input) {
    return new Promise((resolve, reject) => new MultipartRead(input, resolve, reject).start());
  },
  encode: encodeJson,
};

/**
 * One multipart body being read. busboy's listeners are module-level functions finding it on
 * the parser (`READ`), and it is the body's `BodyReader` itself: this runs for every multipart
 * request, and closures made per request showed up in profiles (bench/README.md, "Decode
 * throughput").
 */
class MultipartRead extends TimeLimited implements BodyReader {
  private readonly request: DecodeInput["request"];
  private readonly limits: Limits;
  private readonly uploads: Uploads;
  /** Fields share the body limit; files have their own (fileSize × files) on top of it. */
  private readonly max: number;
  /**
   * Each part's name and value in the body's order. A file's value is undefined until it is
   * written; a file input left empty has the name "", and no place in the input.
   */
  private readonly names: string[] = [];
  private readonly values: (string | UploadedFile | undefined)[] = [];
  private fieldBytes = 0;
  private received = 0;
  private pending = 0;
  private finished = false;
  private failed = false;

  constructor(
    { request, limits, uploads = new Uploads() }: DecodeInput,
    private readonly resolve: (value: unknown) => void,
    private readonly reject: (err: unknown) => void,
  ) {
    super();
    this.request = request;
    this.limits = limits;
    this.uploads = uploads;
    // A body declared larger is still read up to this limit, not refused unread: the fields
    // before the file (a browser sends them in the form's order) go back to the page.
    this.max = limits.bodySize + limits.fileSize * limits.files;
    this.startTimeLimit(limits.bodyTimeout);
  }

  /** Counts every chunk of the body, before busboy parses it. */
  chunk(chunk: Uint8Array): void {
    this.received += chunk.byteLength;
    // The byte that crosses the limit ends the request, mid-file if need be.
    if (this.received > this.max) this.fail(new RefusedInput(tooLarge("bodySize", "The form with its files", this.max), this.fieldsSoFar()));
  }

  unreadable(err: unknown): void {
    this.fail(unreadable(err));
  }

  start(): void {
    const limits = this.limits;
    let bb: busboy.Busboy;
    try {
      bb = busboy({
        headers: { "content-type": this.request.header("content-type") },
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
      this.refuse(deserializationError(`Malformed multipart request: ${describe(err)}`));
      return;
    }
    (bb as ReadingBusboy)[READ] = this;
    bb.on("field", onField);
    bb.on("file", onFile);
    bb.on("filesLimit", onFilesLimit);
    bb.on("fieldsLimit", onFieldsLimit);
    bb.on("partsLimit", onPartsLimit);
    bb.on("error", onError);
    bb.on("close", onClose);
    this.request.body.pipe(bb, this);
  }

  filesLimit(): void {
    this.fail(new RefusedInput(tooLarge("files", "The number of files", this.limits.files), this.fieldsSoFar()));
  }

  fieldsLimit(): void {
    this.fail(tooLarge("fields", "The number of fields", this.limits.fields));
  }

  partsLimit(): void {
    this.fail(tooLarge("fields", "The number of parts", this.limits.files + this.limits.fields));
  }

  closed(): void {
    this.finished = true;
    this.done();
  }

  protected expire(): void {
    this.fail(bodyTimedOut(this.limits.bodyTimeout));
  }

  private succeed(input: unknown): void {
    this.stopTimeLimit();
    this.resolve(input);
  }

  private refuse(err: unknown): void {
    this.stopTimeLimit();
    this.reject(err);
  }

  /** `internal`: not the sender's fault, so passed on as is (logged, a 500 without details) */
  fail(err: unknown, internal = false): void {
    if (this.failed) return;
    this.failed = true;
    // Node drains the rest so the client still reads our answer (a timed-out one is closed).
    this.request.body.discard();
    void this.uploads.removeAll();
    this.refuse(internal || err instanceof ServerFnError || err instanceof RefusedInput ? err : deserializationError(`Malformed multipart body: ${describe(err)}`));
  }

  /** The fields read so far, for a refusal that brings them back to the page. */
  private fieldsSoFar(): Record<string, unknown> {
    try {
      // Files never go back to a page.
      const names = this.names.map((name, i) => (typeof this.values[i] === "string" ? name : ""));
      return formInput(names, this.values, this.limits);
    } catch {
      return {};
    }
  }

  private done(): void {
    if (this.failed || !this.finished || this.pending > 0) return;
    try {
      this.succeed(formInput(this.names, this.values, this.limits));
    } catch (err) {
      this.refuse(err);
    }
  }

  field(rawName: string, value: string, info: busboy.FieldInfo): void {
    try {
      if (typeof rawName !== "string" || rawName === "") throw deserializationError("A form field has no name; give every part a name in its Content-Disposition");
      const name = utf8Text(rawName, "A form field's name");
      if (info.valueTruncated) throw tooLarge("bodySize", `The field "${name}"`, this.limits.bodySize);
      const text = utf8Text(value, "A form field");
      this.fieldBytes += name.length + text.length;
      if (this.fieldBytes > this.limits.bodySize) throw tooLarge("bodySize", "The form's fields together", this.limits.bodySize);
      this.names.push(name);
      this.values.push(text);
    } catch (err) {
      this.fail(err);
    }
  }

  file(rawName: string, stream: Readable, info: busboy.FileInfo): void {
    // First, before anything can throw: a body cut off inside a file errors on the file's
    // stream, not only on busboy's, and an unheard 'error' event ends the process.
    stream.on("error", (err) => this.fail(err));
    try {
      // Without a name a file has no place in the input (it used to land at "undefined").
      if (typeof rawName !== "string" || rawName === "") throw deserializationError("A file part has no name; give every part a name in its Content-Disposition");
      const name = utf8Text(rawName, "A file field's name");
      // The hidden field's values name empty lists (field paths); a file there would become
      // a key made of its placeholder.
      if (name === EMPTY_FIELD || name.startsWith(`${EMPTY_FIELD}[`)) throw deserializationError(`A file part is named ${EMPTY_FIELD}, which names the form's empty lists (like tags); give the file a field name of its own`);
      const filename = info.filename === undefined ? "" : utf8Text(info.filename, "A file name");
      const type = info.mimeType || "application/octet-stream";
      const { path, out } = this.uploads.create();
      // Its place among the fields is taken now, in the body's order: files finish
      // writing in any order.
      const at = this.names.push(name) - 1;
      this.values.push(undefined);
      this.pending++;
      stream.on("limit", () => {
        // Refused at the byte over the limit; the fields read so far go back to the page.
        this.fail(new RefusedInput(tooLarge("fileSize", `The file "${filename || name}"`, this.limits.fileSize), this.fieldsSoFar()));
      });
      out.on("error", (err) => this.fail(new Error(`An upload could not be written to ${this.uploads.dir}: ${describe(err)}; check isoform({ uploadDir })`), true));
      // pipe: the disk's backpressure pauses busboy, which pauses the socket.
      stream.pipe(out);
      out.on("close", () => {
        this.pending--;
        if (this.failed) return;
        try {
          // Its size is what reached the disk: every byte did, or the file would have failed.
          const size = out.bytesWritten;
          // A file input left empty still sends a part with no name and no bytes: skip it,
          // as a handler would otherwise see a phantom empty file (its temporary file is
          // removed with the others).
          if (!filename && size === 0) this.names[at] = "";
          else this.values[at] = new UploadedFile(filename, type, size, path);
          this.done();
        } catch (err) {
          this.fail(err);
        }
      });
    } catch (err) {
      stream.resume();
      this.fail(err);
    }
  }
}

const READ = Symbol("isoform.multipartRead");
type ReadingBusboy = busboy.Busboy & { [READ]: MultipartRead };

// busboy's listeners: busboy calls each with itself as `this`.
function onField(this: ReadingBusboy, name: string, value: string, info: busboy.FieldInfo): void {
  this[READ].field(name, value, info);
}
function onFile(this: ReadingBusboy, name: string, stream: Readable, info: busboy.FileInfo): void {
  this[READ].file(name, stream, info);
}
function onFilesLimit(this: ReadingBusboy): void {
  this[READ].filesLimit();
}
function onFieldsLimit(this: ReadingBusboy): void {
  this[READ].fieldsLimit();
}
function onPartsLimit(this: ReadingBusboy): void {
  this[READ].partsLimit();
}
function onError(this: ReadingBusboy, err: unknown): void {
  this[READ].fail(err);
}
function onClose(this: ReadingBusboy): void {
  this[READ].closed();
}

/**
 * The handler's input from the parts' names and values, in the body's order (a part named ""
 * is none): what `parseQuery` makes of `name=value&…` (qs bracket syntax, every limit and
 * check of the `url` codec), with each file at its name. Names without brackets, none twice,
 * the common case, are put in an object directly, with the checks and limits qs would apply
 * to them (`formInputByQuery` states the rule; test/multipart-input.test.ts holds the two to
 * each other).
 */
export function formInput(names: readonly string[], values: readonly (string | UploadedFile | undefined)[], limits: Limits): Record<string, unknown> {
  let count = 0;
  for (const name of names) if (name !== "") count++;
  if (count === 0) return {};
  // As qs: the count before anything is decoded, then each name and its value in order.
  if (count > limits.parameters) throw tooManyParameters(limits.parameters);
  const input: Record<string, unknown> = {};
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    if (name === "") continue;
    if (name === EMPTY_FIELD || name.includes("[") || name.includes("]") || Object.prototype.hasOwnProperty.call(input, name)) return formInputByQuery(names, values, limits);
    if (name.includes("\0")) throw nulByte();
    if (FORBIDDEN_KEYS.has(name)) throw forbiddenKey(name);
    const value = values[i];
    if (typeof value === "string" && value.includes("\0")) throw nulByte();
    // qs drops a name that Object.prototype has (toString, hasOwnProperty…): so does this.
    if (!Object.prototype.hasOwnProperty.call(Object.prototype, name)) input[name] = value;
  }
  return input;
}

/** `formInput` through qs: the parts as a query string (files as placeholders) to `parseQuery`. */
export function formInputByQuery(names: readonly string[], values: readonly (string | UploadedFile | undefined)[], limits: Limits): Record<string, unknown> {
  const files: (UploadedFile | undefined)[] = [];
  // Placeholders stand for files inside the query, so files land at the same nested path
  // their field name says; the token cannot be guessed by a sender.
  const token = values.some((v) => typeof v !== "string") ? `\u0001file:${randomUUID()}:` : "";
  const pairs: string[] = [];
  names.forEach((name, i) => {
    if (name === "") return;
    const value = values[i];
    pairs.push(`${encodeURIComponent(name)}=${encodeURIComponent(typeof value === "string" ? value : token + (files.push(value) - 1))}`);
  });
  const input = parseQuery(pairs.join("&"), limits);
  return files.length === 0 ? input : (replaceFiles(input, token, files) as Record<string, unknown>);
}

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
