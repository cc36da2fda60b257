import type { Writable } from "node:stream";
import { bodyTimedOut, tooLarge, unreadable, type BodyReader, type RequestBody } from "./request-body.js";
import { TimeLimited } from "./time-limited.js";

/**
 * A web `Request`'s body (the fetch handler: Hono, Bun, Deno, Node's own fetch servers):
 * read from its `ReadableStream` with the same limits as a node:http body.
 */
export class WebBody implements RequestBody {
  private reader: ReturnType<ReadableStream<Uint8Array>["getReader"]> | undefined;

  constructor(private readonly request: Request) {}

  get used(): boolean {
    return this.request.bodyUsed;
  }

  /** the Content-Length the client declared, when it is a plain number */
  get declaredLength(): number | undefined {
    const declared = this.request.headers.get("content-length");
    return declared === null || !/^\d+$/.test(declared) ? undefined : Number(declared);
  }

  async read(max: number, timeoutMs: number): Promise<Uint8Array> {
    const declared = this.declaredLength;
    if (declared !== undefined && declared > max) throw tooLarge("bodySize", "Request body", max);
    // A declared length bounds the body (HTTP framing holds the client to it), so the
    // runtime's own whole-body read is safe, and it is every runtime's fast path (a stream
    // costs @hono/node-server a full Request per call).
    if (Number.isSafeInteger(declared)) return this.readDeclared(timeoutMs);
    const stream = this.request.body;
    if (!stream) return new Uint8Array(0);
    const reader = (this.reader = stream.getReader());
    const limit = new StreamReadLimit(reader, timeoutMs);
    const chunks: Uint8Array[] = [];
    let size = 0;
    try {
      for (;;) {
        let step: Awaited<ReturnType<typeof reader.read>>;
        try {
          step = await reader.read();
        } catch (err) {
          throw limit.timedOut ? bodyTimedOut(timeoutMs) : unreadable(err);
        }
        if (limit.timedOut) throw bodyTimedOut(timeoutMs);
        if (step.done) break;
        size += step.value.byteLength;
        if (size > max) {
          void reader.cancel().catch(() => {});
          throw tooLarge("bodySize", "Request body", max);
        }
        chunks.push(step.value);
      }
    } finally {
      limit.stopTimeLimit();
    }
    if (chunks.length === 1) return chunks[0]!;
    const body = new Uint8Array(size);
    let at = 0;
    for (const c of chunks) {
      body.set(c, at);
      at += c.byteLength;
    }
    return body;
  }

  private readDeclared(timeoutMs: number): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      const limit = new DeclaredReadLimit(reject, timeoutMs);
      this.request.arrayBuffer().then(
        (buffer) => {
          limit.stopTimeLimit();
          resolve(new Uint8Array(buffer));
        },
        (err: unknown) => {
          limit.stopTimeLimit();
          reject(unreadable(err));
        },
      );
    });
  }

  pipe(into: Writable, reader: BodyReader): void {
    const stream = this.request.body;
    if (!stream) {
      into.end();
      return;
    }
    const source = (this.reader = stream.getReader());
    void (async () => {
      for (;;) {
        const step = await source.read();
        if (step.done) return void into.end();
        reader.chunk(step.value);
        if (into.destroyed || into.writableEnded) return;
        // Respect busboy's backpressure, as Readable.pipe would.
        if (!into.write(step.value)) await new Promise((resolve) => into.once("drain", resolve));
      }
    })().catch((err: unknown) => reader.unreadable(err));
  }

  discard(): void {
    void this.reader?.cancel().catch(() => {});
  }
}

// The time limits of body reads: places in the list of their limit (`TimeLimited`), not a
// timer each, as for node:http bodies.

/** A body read chunk by chunk: past its time, the stream is canceled and the read refused. */
class StreamReadLimit extends TimeLimited {
  timedOut = false;

  constructor(
    private readonly reader: ReadableStreamDefaultReader<Uint8Array>,
    ms: number,
  ) {
    super();
    this.startTimeLimit(ms);
  }

  protected expire(): void {
    this.timedOut = true;
    void this.reader.cancel().catch(() => {});
  }
}

/** A body of declared length read whole by the runtime: past its time, the read is refused (the runtime's read cannot be stopped). */
class DeclaredReadLimit extends TimeLimited {
  constructor(
    private readonly reject: (err: unknown) => void,
    private readonly ms: number,
  ) {
    super();
    this.startTimeLimit(ms);
  }

  protected expire(): void {
    this.reject(bodyTimedOut(this.ms));
  }
}
