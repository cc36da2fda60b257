import type { AddressInfo } from "node:net";
import { createApp } from "./app.js";
import { openStore } from "./open-store.js";

// PORT=0 picks a free port; the line printed below names it (scripts/start-scaled.mjs reads it).
const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? "127.0.0.1";
const dataDir = process.env.ISOFORM_DATA_DIR ?? "data";
const { store, where } = await openStore({ databaseUrl: process.env.DATABASE_URL, dataDir });
const app = createApp({
  store,
  filesDir: dataDir,
  trustProxy: trustProxySetting(process.env.ISOFORM_TRUST_PROXY),
  instance: process.env.ISOFORM_INSTANCE,
});

const server = app.listen(port, host, (err?: Error) => {
  if (err) throw err;
  const { port } = server.address() as AddressInfo;
  console.log(`isoform todo demo: http://${host}:${port}/  (data in ${where})`);
});
// Node's own bounds on a slow client are minutes long; isoform bounds each body (limits.bodyTimeout,
// 30 s), and these bound the headers and the whole request, uploads included.
server.headersTimeout = 10_000;
// Long enough for the profile's attachments (100 MB each) on a slow connection.
server.requestTimeout = 15 * 60_000;

// On SIGTERM or Ctrl-C: stop accepting, let requests in progress finish (5 s at most), then
// close the database, so a PostgreSQL server sees its connections end cleanly.
let stopping = false;
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    server.close(() => void store.close().finally(() => process.exit(0)));
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 5_000).unref();
  });
}

/** `ISOFORM_TRUST_PROXY` as express's `trust proxy`: true/false, a hop count, or addresses ("loopback"). */
function trustProxySetting(value: string | undefined): boolean | number | string {
  if (value === undefined || value === "" || value === "false") return false;
  if (value === "true") return true;
  return /^\d+$/.test(value) ? Number(value) : value;
}
