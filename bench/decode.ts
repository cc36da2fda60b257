import { randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { isDeepStrictEqual } from "node:util";
import busboy from "busboy";
import { decode as cborDecode, encode as cborEncode } from "cbor-x";
import { cborCodec } from "../server/codecs/cbor.js";
import type { Codec } from "../server/codecs/codec.js";
import { isUploadedFile, multipartCodec } from "../server/codecs/multipart.js";
import { Uploads } from "../server/codecs/uploaded-file.js";
import { mergeLimits } from "../server/limits.js";
import { NodeRequest } from "../server/node-request.js";

/**
 * Decode throughput of isoform's hardened codecs next to the raw libraries they wrap, in
 * one process: cborCodec against cbor-x's plain `decode`, multipartCodec against busboy
 * alone, on the same bodies. Each pair runs in alternating rounds (A B, B A, …) so drift
 * and garbage collection hit both sides alike; the ratio isoform / raw is what to read.
 *
 * Both sides read every body from the same kind of fake request: a Readable holding the
 * body in the chunks a socket would deliver (64 KiB at most), with the headers an
 * IncomingMessage has. The codecs only take a request (they have no buffer entry point), so
 * the raw side consumes the stream too: it collects the chunks and decodes them. Ops run
 * one after another (concurrency 1), each awaited.
 */
const LIMITS = mergeLimits();
const CHUNK = 64 * 1024;

interface Body {
  name: string;
  bytes: Buffer;
  headers: Record<string, string>;
  /** the media type without parameters, as the pipeline hands it to a codec */
  contentType: string;
}

/**
 * A request-like stream: the body pre-pushed in chunks (cheaper than `Readable.from`, whose
 * async iterator adds promise hops per chunk to both sides alike and so would blur the
 * ratio), plus `headers` and `method`, read by the codecs through `NodeRequest` and `NodeBody`
 * (server/node-request.ts, server/node-body.ts) as a node:http request is: `on`/`off` of
 * data/end/error, `pipe`/`unpipe` and `resume`.
 */
function fakeRequest(body: Body): IncomingMessage {
  const req = new Readable({ read() {} }) as Readable & { headers: Record<string, string>; method: string };
  for (let at = 0; at < body.bytes.length; at += CHUNK) req.push(body.bytes.subarray(at, at + CHUNK));
  req.push(null);
  req.headers = body.headers;
  req.method = "POST";
  return req as unknown as IncomingMessage;
}

/** Not a response: the codecs never touch it. */
const NO_RESPONSE = {} as ServerResponse;

// The request is the adapters' own NodeRequest: an object literal with a `header` arrow would
// cost this side a `__name` call per op under tsx (which keeps function names by wrapping each
// named closure as it is made), a cost the compiled package does not have.
const isoform = (codec: Codec) => (body: Body) => {
  const request = new NodeRequest(fakeRequest(body), NO_RESPONSE, "", "");
  if (codec !== multipartCodec) return codec.decode({ request, query: "", contentType: body.contentType, limits: LIMITS });
  // Files go to temporary files, removed after, as the pipeline does once a handler settled.
  const uploads = new Uploads();
  return codec.decode({ request, query: "", contentType: body.contentType, limits: LIMITS, uploads }).finally(() => uploads.removeAll());
};

// ---------------------------------------------------------------- CBOR

function cborBody(name: string, value: unknown): Body {
  const bytes = Buffer.from(cborEncode(value));
  return { name, bytes, contentType: "application/cbor", headers: { "content-type": "application/cbor", "content-length": String(bytes.length) } };
}

const words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet"];

function cborBodies(): Body[] {
  const todo = { title: "Buy milk and bread", tags: ["home", "errand", "food", "today", "weekly"], done: false, n: 123 };

  // A long form as an object: mostly text, some numbers and booleans, as a form sends.
  const form: Record<string, unknown> = {};
  for (let i = 0; i < 50; i++) form[`field_${i}`] = i % 10 === 0 ? i * 7 : i % 10 === 1 ? i % 2 === 0 : `${words[i % words.length]} value ${i}`;

  // About 20 KB: 80 items with nested arrays and objects, a 10 × 10 grid. Within the
  // default limits: nesting depth 4 (≤ 5), arrays ≤ 100 items, 2 + 80 × 9 keys (≤ 1000).
  const items = Array.from({ length: 80 }, (_, i) => ({
    id: 1000 + i,
    name: `Item ${i}: ${words[i % 10]} ${words[(i * 3) % 10]} ${words[(i * 7) % 10]}`,
    price: Math.round(i * 137.31) / 100,
    tags: [words[i % 10], words[(i + 1) % 10], words[(i + 2) % 10]],
    dims: [i, i * 2, i * 3],
    meta: { created: 1_700_000_000 + i * 3600, history: Array.from({ length: 12 }, (_, j) => i * 100 + j), note: `note for item ${i}`.repeat(4) },
  }));
  const large = { items, grid: Array.from({ length: 10 }, (_, r) => Array.from({ length: 10 }, (_, c) => r * 10 + c + 0.5)) };

  // A Date (tag 1) and a byte string (major type 2: a Buffer, not a tagged typed array).
  const bytes = Buffer.alloc(512);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + 7) & 0xff;
  const binary = { id: "upload-42", at: new Date(Date.UTC(2025, 0, 2, 3, 4, 5)), blob: bytes, note: "a signed blob" };

  return [cborBody("todo", todo), cborBody("form, 50 fields", form), cborBody("nested, ~20 KB", large), cborBody("Date + byte string", binary)];
}

/** The raw baseline: collect the chunks, concatenate (one chunk is used as is, as server/body.ts does), decode. */
function rawCbor(body: Body): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = fakeRequest(body);
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      chunks.push(c);
      size += c.length;
    });
    req.on("end", () => {
      try {
        resolve(cborDecode(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
      } catch (err) {
        reject(err);
      }
    });
    req.on("error", reject);
  });
}

// ---------------------------------------------------------------- multipart

const BOUNDARY = "----isoformBenchBoundary7MA4YWxkTrZu0gW";

function multipartBody(name: string, fields: [string, string][], file?: { field: string; filename: string; type: string; bytes: Buffer }): Body {
  const parts: Buffer[] = fields.map(([k, v]) => Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  if (file) {
    parts.push(Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${file.field}"; filename="${file.filename}"\r\nContent-Type: ${file.type}\r\n\r\n`));
    parts.push(file.bytes, Buffer.from("\r\n"));
  }
  parts.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  const bytes = Buffer.concat(parts);
  return {
    name,
    bytes,
    contentType: "multipart/form-data",
    headers: { "content-type": `multipart/form-data; boundary=${BOUNDARY}`, "content-length": String(bytes.length) },
  };
}

function multipartBodies(): Body[] {
  const ten: [string, string][] = Array.from({ length: 10 }, (_, i) => [`field_${i}`, `${words[i]} value ${i}`]);
  const file = Buffer.alloc(200 * 1024);
  for (let i = 0; i < file.length; i++) file[i] = (i * 131 + 17) & 0xff;
  return [
    multipartBody("10 fields, no file", ten),
    multipartBody("3 fields + 200 KB file", [["title", "Quarterly report"], ["author", "Ada"], ["notes", "first draft, please review"]], { field: "attachment", filename: "report.bin", type: "application/octet-stream", bytes: file }),
  ];
}

/**
 * The raw baseline: busboy alone, fields into an object, each file written to a temporary
 * file (removed after), as its size. Only anonymous closures: under tsx a named one costs a
 * `__name` call each time it is made, which would slow this side down for nothing.
 */
function rawMultipart(body: Body): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const req = fakeRequest(body);
    const out: Record<string, unknown> = {};
    const bb = busboy({ headers: body.headers });
    let pending = 0;
    let closed = false;
    bb.on("field", (name, value) => {
      out[name] = value;
    });
    bb.on("file", (name, stream) => {
      pending++;
      const path = join(tmpdir(), `bench-busboy-${randomUUID()}`);
      const file = createWriteStream(path);
      let size = 0;
      stream.on("data", (c: Buffer) => {
        size += c.length;
      });
      stream.pipe(file);
      file.on("close", () => {
        out[name] = size;
        void rm(path, { force: true }).then(() => {
          if (--pending === 0 && closed) resolve(out);
        });
      });
    });
    bb.on("error", reject);
    bb.on("close", () => {
      closed = true;
      if (pending === 0) resolve(out);
    });
    req.pipe(bb);
  });
}

/** The codec's files (UploadedFile) as their sizes, to compare with busboy's result. */
function filesAsBuffers(value: unknown): unknown {
  if (!value || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = isUploadedFile(v) ? v.size : v;
  return out;
}

// ---------------------------------------------------------------- measuring

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Measured {
  /** ops per second, wall clock */
  rate: number;
  /** this process's CPU time (user + system) per op, µs: steadier than ops/s on a shared machine */
  cpu: number;
}

/** `op` on `body`, run back to back (each awaited) for about `seconds`. */
async function measure(op: (body: Body) => Promise<unknown>, body: Body, seconds: number): Promise<Measured> {
  const end = performance.now() + seconds * 1000;
  let ops = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  let now = started;
  while (now < end) {
    for (let i = 0; i < 8; i++) await op(body);
    ops += 8;
    now = performance.now();
  }
  const used = process.cpuUsage(cpu);
  return { rate: ops / ((now - started) / 1000), cpu: (used.user + used.system) / ops };
}

interface Pair {
  format: string;
  raw: string;
  isoform: (body: Body) => Promise<unknown>;
  baseline: (body: Body) => Promise<unknown>;
  /** the isoform result made comparable with the baseline's */
  comparable?: (value: unknown) => unknown;
  bodies: Body[];
}

export interface DecodeOptions {
  rounds: number;
  seconds: number;
  target: number;
}

export async function decode({ rounds, seconds, target }: DecodeOptions = { rounds: 6, seconds: 0.5, target: 0.9 }): Promise<{ lines: string[]; verdicts: string[] }> {
  const pairs: Pair[] = [
    { format: "cbor", raw: "cbor-x decode", isoform: isoform(cborCodec), baseline: rawCbor, bodies: cborBodies() },
    { format: "multipart", raw: "busboy", isoform: isoform(multipartCodec), baseline: rawMultipart, comparable: filesAsBuffers, bodies: multipartBodies() },
  ];
  const lines: string[] = [];
  const verdicts: string[] = [];
  for (const pair of pairs) {
    lines.push(`\ndecode ${pair.format}: isoform ${pair.format}Codec.decode vs ${pair.raw}, from a fake request stream  (${rounds} alternating rounds × ${seconds} s each, median)`);
    lines.push(`  ${"body".padEnd(24)} ${"bytes".padStart(7)}  ${"isoform op/s".padStart(12)}  ${"raw op/s".padStart(10)}  ratio (rounds)     ${"CPU µs/op".padStart(10)}  ${"raw CPU µs".padStart(10)}  by CPU`);
    const ratios: { body: string; ratio: number; cpu: number }[] = [];
    for (const body of pair.bodies) {
      // Both sides must decode the body to the same value: a codec refusing it (a limit,
      // a stricter check) would otherwise look fast.
      const mine = await pair.isoform(body);
      const theirs = await pair.baseline(body);
      if (!isDeepStrictEqual(pair.comparable ? pair.comparable(mine) : mine, theirs)) {
        throw new Error(`bench decode: ${pair.format} "${body.name}": isoform and ${pair.raw} decode different values`);
      }
      // Warm-up: JIT for both sides on this body.
      await measure(pair.isoform, body, seconds);
      await measure(pair.baseline, body, seconds);
      const iso: Measured[] = [];
      const raw: Measured[] = [];
      for (let r = 0; r < rounds; r++) {
        // Alternate the order each round so neither side always runs after the other's garbage.
        if (r % 2) {
          raw.push(await measure(pair.baseline, body, seconds));
          iso.push(await measure(pair.isoform, body, seconds));
        } else {
          iso.push(await measure(pair.isoform, body, seconds));
          raw.push(await measure(pair.baseline, body, seconds));
        }
      }
      const a = median(iso.map((m) => m.rate));
      const b = median(raw.map((m) => m.rate));
      const cpuA = median(iso.map((m) => m.cpu));
      const cpuB = median(raw.map((m) => m.cpu));
      const ratio = a / b;
      const perRound = iso.map((m, i) => m.rate / raw[i]!.rate);
      ratios.push({ body: body.name, ratio, cpu: cpuB / cpuA });
      lines.push(
        `  ${body.name.padEnd(24)} ${String(body.bytes.length).padStart(7)}  ${a.toFixed(0).padStart(12)}  ${b.toFixed(0).padStart(10)}  ${ratio.toFixed(2)} ${`(${Math.min(...perRound).toFixed(2)}–${Math.max(...perRound).toFixed(2)})`.padEnd(11)}  ${cpuA.toFixed(1).padStart(10)}  ${cpuB.toFixed(1).padStart(10)}  ${(cpuB / cpuA).toFixed(2)}`,
      );
    }
    // The verdict is held by the worst body, not an average: hardening that is cheap on a
    // big body but doubles the cost of a small one still misses.
    const worst = ratios.reduce((w, r) => (r.ratio < w.ratio ? r : w));
    const geo = Math.exp(ratios.reduce((s, r) => s + Math.log(r.ratio), 0) / ratios.length);
    const verdict = `decode ${pair.format}: isoform / ${pair.raw} = ${worst.ratio.toFixed(2)} op/s (${worst.cpu.toFixed(2)} by CPU per op) on the worst body (${worst.body}), ${geo.toFixed(2)} geometric mean over ${ratios.length} bodies (target ≥ ${target}) ${worst.ratio >= target ? "PASS" : "MISS"}`;
    lines.push(`  ratio ${verdict}`);
    verdicts.push(verdict);
  }
  return { lines, verdicts };
}
