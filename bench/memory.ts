import { encode as cborEncode } from "cbor-x";
import { blast, type Request } from "./load.js";
import { pinLoadGenerator, start } from "./servers.js";

/**
 * RSS of the isoform server (express adapter) before and after 100 000 requests of mixed
 * encodings, half of them invalid. Both readings follow a forced GC and a warm-up, so
 * the growth is what stays, not garbage waiting for collection.
 */
const FORM = { "content-type": "application/x-www-form-urlencoded" };
const MIX: Request[] = [
  { method: "POST", path: "/api/add_todo", headers: FORM, body: "title=Buy+milk" },
  { method: "POST", path: "/api/add_todo", headers: { ...FORM, "sec-fetch-mode": "navigate", "sec-fetch-site": "same-origin", accept: "text/html" }, body: "title=Walk&_isoform_return=%2F" },
  { method: "GET", path: "/api/list_todos?limit=20" },
  { method: "POST", path: "/api/add_todo_json", headers: { "content-type": "application/json" }, body: '{"title":"Write"}' },
  { method: "POST", path: "/api/add_todo_cbor", headers: { "content-type": "application/cbor" }, body: Buffer.from(cborEncode({ title: "Read" })) },
  { method: "POST", path: "/api/add_todo", headers: FORM, body: "title=" }, // 422
  { method: "POST", path: "/api/add_todo_json", headers: { "content-type": "application/json" }, body: '{"title":' }, // 400
  { method: "POST", path: "/api/add_todo", headers: FORM, body: "a[b][c][d][e][f][g]=1" }, // 400
  { method: "POST", path: "/api/add_todo", headers: { "content-type": "text/plain" }, body: "x" }, // 415
  { method: "POST", path: "/api/nope", headers: FORM, body: "x=1" }, // 404
];

export async function memory(requests = 100_000): Promise<{ lines: string[]; verdicts: string[] }> {
  const unpin = pinLoadGenerator();
  const server = await start("isoform-express");
  try {
    // Warm-up: JIT, pools, the bounded todo list filled. Shorter warm-ups left RSS still
    // settling, and the growth read anywhere from 3 to 15 MB from run to run.
    await blast(server.url, MIX, 30_000);
    const samples = [await server.memory()];
    for (let i = 0; i < 4; i++) {
      await blast(server.url, MIX, requests / 4);
      samples.push(await server.memory());
    }
    const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
    const first = samples[0]!;
    const last = samples[samples.length - 1]!;
    const growth = last.rss - first.rss;
    return {
      lines: [
        `\nmemory (isoform-express, ${requests} requests after 30000 to warm up, ${MIX.length} shapes, half invalid; after a forced GC, every ${requests / 4})`,
        `  RSS MB    ${samples.map((s) => mb(s.rss).padStart(7)).join("")}   growth ${mb(growth)} MB`,
        `  heap MB   ${samples.map((s) => mb(s.heap).padStart(7)).join("")}   growth ${mb(last.heap - first.heap)} MB`,
      ],
      verdicts: [`RSS growth over ${requests} requests: ${mb(growth)} MB (target < 10) ${growth < 10 * 1024 * 1024 ? "PASS" : "MISS"}`],
    };
  } finally {
    server.stop();
    unpin();
  }
}
