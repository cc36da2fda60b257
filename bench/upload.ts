import { request } from "node:http";
import { pinLoadGenerator, start, type Running } from "./servers.js";

/**
 * Upload throughput: multipart bodies with one large file, sent 4 at a time to a `multipart`
 * function (files streamed to a temporary file, removed once the handler settled) and to
 * busboy piping the file to disk directly (its files removed before answering too). Both
 * servers run side by side, in alternating rounds, in this one run.
 */
const BOUNDARY = "----isoformBenchUpload";
const MB = 1024 * 1024;

function body(fileMb: number): Buffer {
  const file = Buffer.alloc(fileMb * MB);
  for (let i = 0; i < file.length; i += 4096) file[i] = i & 0xff;
  return Buffer.concat([
    Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="title"\r\n\r\nbench\r\n`),
    Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="f.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`),
    file,
    Buffer.from(`\r\n--${BOUNDARY}--\r\n`),
  ]);
}

function post(url: string, payload: Buffer, fileBytes: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/api/upload`,
      { method: "POST", agent: false, headers: { "content-type": `multipart/form-data; boundary=${BOUNDARY}`, "content-length": String(payload.length), "x-isoform": "1" } },
      (res) => {
        let text = "";
        res.on("data", (c) => (text += c));
        res.on("end", () => (res.statusCode === 200 && Number(text) === fileBytes ? resolve() : reject(new Error(`upload: ${res.statusCode} ${text.slice(0, 200)}`))));
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

/** MB/s of `count` uploads, `concurrency` at a time. */
async function measure(server: Running, payload: Buffer, fileBytes: number, count: number, concurrency: number): Promise<number> {
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < count) await post(server.url, payload, fileBytes);
    }),
  );
  return (count * payload.length) / MB / ((performance.now() - started) / 1000);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function upload({ rounds = 5, fileMb = 32, count = 8, concurrency = 4, target = 0.9 } = {}): Promise<{ lines: string[]; verdicts: string[] }> {
  const payload = body(fileMb);
  const unpin = pinLoadGenerator();
  const iso = await start("isoform-upload");
  const raw = await start("busboy-upload");
  try {
    // Warm-up: JIT, fs pools, page cache.
    await measure(iso, payload, fileMb * MB, 4, concurrency);
    await measure(raw, payload, fileMb * MB, 4, concurrency);
    const a: number[] = [];
    const b: number[] = [];
    for (let r = 0; r < rounds; r++) {
      // Alternate the order each round so neither side always runs second.
      if (r % 2) {
        b.push(await measure(raw, payload, fileMb * MB, count, concurrency));
        a.push(await measure(iso, payload, fileMb * MB, count, concurrency));
      } else {
        a.push(await measure(iso, payload, fileMb * MB, count, concurrency));
        b.push(await measure(raw, payload, fileMb * MB, count, concurrency));
      }
    }
    const ratio = median(a) / median(b);
    const ratios = a.map((x, i) => x / b[i]!);
    return {
      lines: [
        `\nupload: ${count} × ${fileMb} MB multipart uploads, ${concurrency} at a time, per round (${rounds} alternating rounds, median)`,
        `  isoform multipart function (streamed to a temporary file)  ${median(a).toFixed(0).padStart(5)} MB/s`,
        `  busboy piping to disk directly                          ${median(b).toFixed(0).padStart(5)} MB/s`,
        `  ratio ${ratio.toFixed(2)} (rounds ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`,
      ],
      verdicts: [`upload throughput vs busboy to disk ≥ ${target}×: ${ratio.toFixed(2)}× ${ratio >= target ? "ok" : "MISSED"}`],
    };
  } finally {
    iso.stop();
    raw.stop();
    unpin();
  }
}
