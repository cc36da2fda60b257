/**
 * `npm run bench` — prints every figure of the benchmark, measured side by side in one run.
 * One part only: `npx tsx bench/run.ts throughput|size|decode|upload|cold|memory|browser|scaled` (throughput takes
 * an optional scenario filter: `npx tsx bench/run.ts throughput cbor`).
 */
import { browserLatency } from "./browser.js";
import { cold } from "./cold.js";
import { decode } from "./decode.js";
import { memory } from "./memory.js";
import { scaled } from "./scaled.js";
import { size } from "./size.js";
import { throughput } from "./throughput.js";
import { upload } from "./upload.js";

const [part, filter] = process.argv.slice(2);
const parts = part ? [part] : ["size", "throughput", "decode", "upload", "cold", "memory", "browser", "scaled"];
const started = Date.now();
const verdicts: string[] = [];

for (const p of parts) {
  const result =
    p === "size" ? size()
    : p === "throughput" ? await throughput({ rounds: 4, seconds: 1.5, only: filter })
    : p === "decode" ? await decode()
    : p === "upload" ? await upload()
    : p === "cold" ? await cold()
    : p === "memory" ? await memory()
    : p === "browser" ? await browserLatency()
    : p === "scaled" ? await scaled()
    : undefined;
  if (!result) {
    console.error(`bench: unknown part "${p}"; use throughput, size, decode, upload, cold, memory, browser or scaled`);
    process.exit(2);
  }
  for (const line of result.lines) console.log(line);
  verdicts.push(...result.verdicts);
}

console.log("\ntargets");
for (const v of verdicts) console.log(`  ${v}`);
console.log(`\nbench took ${((Date.now() - started) / 1000).toFixed(0)} s`);
