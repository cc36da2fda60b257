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
    await blast(server.url, MIX, 10_000); // warm-up: JIT, pools, the bounded todo list filled
    const before = await server.rss();
    await blast(server.url, MIX, requests);
    const after = await server.rss();
    const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
    const growth = after - before;
    return {
      lines: [`\nmemory (isoform-express, ${requests} requests, ${MIX.length} shapes, half invalid)`, `  RSS before ${mb(before)} MB, after ${mb(after)} MB, growth ${mb(growth)} MB`],
      verdicts: [`RSS growth over ${requests} requests: ${mb(growth)} MB (target < 10) ${growth < 10 * 1024 * 1024 ? "PASS" : "MISS"}`],
    };
  } finally {
    unpin();
    server.stop();
  }
}
