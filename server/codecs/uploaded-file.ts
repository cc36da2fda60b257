import { randomUUID } from "node:crypto";
import { createReadStream, createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";

/**
 * An uploaded file as a handler receives it: written to a temporary file while the request
 * arrived (within `limits.fileSize`), removed once the handler settles. Read it with
 * `stream()`, keep it by copying or moving `path` before returning; `bytes()` is for small files.
 */
export class UploadedFile {
  constructor(
    /** the file name the browser sent (never trust it as a path) */
    readonly name: string,
    /** the media type the browser declared */
    readonly type: string,
    /** bytes received */
    readonly size: number,
    /** the temporary file (under `isoform({ uploadDir })`, default `os.tmpdir()`); removed when the handler settles */
    readonly path: string,
  ) {}

  /** The file's bytes as a stream; read it before the handler settles. */
  stream(): Readable {
    return createReadStream(this.path);
  }

  /** The whole file in memory: for small files only (an avatar, not a video). */
  async bytes(): Promise<Uint8Array> {
    const b = await readFile(this.path);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  }
}

export function isUploadedFile(v: unknown): v is UploadedFile {
  return v instanceof UploadedFile;
}

/**
 * The temporary files of one request. The pipeline creates one per multipart request and
 * removes them all once the handler settles, or once decoding failed (a limit, an abort).
 */
export class Uploads {
  private readonly files: { path: string; out: WriteStream }[] = [];
  private removing: Promise<unknown>[] = [];
  private folder: string | undefined;

  /** `dir`: where files go, `os.tmpdir()` by default (asked once a file comes: most forms carry none). */
  constructor(dir?: string) {
    this.folder = dir;
  }

  get dir(): string {
    return (this.folder ??= tmpdir());
  }

  /** A new temporary file, only its owner can read (`wx`: never an existing file). */
  create(): { path: string; out: WriteStream } {
    // Once per request: a configured folder may not exist yet, or a cleaner removed it.
    // A folder that cannot be made fails below, on the stream, with the reason.
    if (this.files.length === 0) {
      try {
        mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      } catch {}
    }
    const path = join(this.dir, `isoform-upload-${randomUUID()}`);
    // A buffer past the 64 KB a socket delivers at once: writing a chunk does not pause the
    // parser until the disk took it, so parsing the next chunk overlaps the write (a 16 KB
    // default paused busboy, and the socket, once per chunk).
    const file = { path, out: createWriteStream(path, { flags: "wx", mode: 0o600, highWaterMark: WRITE_BUFFER }) };
    // The codec hears errors too; this one keeps a late error (after a refusal) from ending the process.
    file.out.on("error", () => {});
    this.files.push(file);
    return file;
  }

  /** Stops every write still going on and removes every file; never throws. Resolves when all are gone, whoever asked first. */
  removeAll(): Promise<void> {
    // Most multipart requests carry no file: nothing to wait for, and no promise to make.
    if (this.files.length === 0 && this.removing.length === 0) return NOTHING_TO_REMOVE;
    const files = this.files.splice(0);
    const removed = Promise.all(
      files.map(async ({ path, out }) => {
        // A stream destroyed before its file was opened still opens it, then closes: wait,
        // or the file would appear after it was removed.
        if (!out.closed) {
          await new Promise<void>((resolve) => {
            out.once("close", resolve);
            out.destroy();
          });
        }
        // Gone already when the handler moved it; that is fine.
        await rm(path, { force: true }).catch(() => {});
      }),
    );
    this.removing.push(removed);
    return Promise.all(this.removing).then(() => undefined);
  }
}

const NOTHING_TO_REMOVE: Promise<void> = Promise.resolve();
const WRITE_BUFFER = 128 * 1024;
