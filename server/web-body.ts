import type { Writable } from "node:stream";
import { bodyTimedOut, tooLarge, unreadable, type BodyReader, type RequestBody } from "./request-body.js";

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
    if (declared !== undefined && Number.isSafeInteger(declared)) return this.readDeclared(timeoutMs);
    const stream = this.request.body;
    if (!stream) return new Uint8Array(0);
    const reader = (this.reader = stream.getReader());
    const chunks: Uint8Array[] = [];
    let size = 0;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      void reader.cancel().catch(() => {});
    }, timeoutMs);
    try {
      for (;;) {
        let step: Awaited<ReturnType<typeof reader.read>>;
        try {
          step = await reader.read();
        } catch (err) {
          throw timedOut ? bodyTimedOut(timeoutMs) : unreadable(err);
        }
        if (timedOut) throw bodyTimedOut(timeoutMs);
        if (step.done) break;
        size += step.value.byteLength;
        if (size > max) {
          void reader.cancel().catch(() => {});
          throw tooLarge("bodySize", "Request body", max);
        }
        chunks.push(step.value);
      }
    } finally {
      clearTimeout(timer);
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
      const timer = setTimeout(() => reject(bodyTimedOut(timeoutMs)), timeoutMs);
      this.request.arrayBuffer().then(
        (buffer) => {
          clearTimeout(timer);
          resolve(new Uint8Array(buffer));
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(unreadable(err));
        },
      );
    });
  }

  pipe(into: Writable, to: BodyReader): void {
    const stream = this.request.body;
    if (!stream) {
      into.end();
      return;
    }
    const reader = (this.reader = stream.getReader());
    void (async () => {
      for (;;) {
        const step = await reader.read();
        if (step.done) return void into.end();
        to.chunk(step.value);
        if (into.destroyed || into.writableEnded) return;
        // Respect busboy's backpressure, as Readable.pipe would.
        if (!into.write(step.value)) await new Promise((resolve) => into.once("drain", resolve));
      }
    })().catch((err: unknown) => to.unreadable(err));
  }

  discard(): void {
    void this.reader?.cancel().catch(() => {});
  }
}
