import { join } from "node:path";
import { createApp } from "./app.js";

const port = Number(process.env.PORT ?? 3000);
const dataDir = process.env.ISOFORM_DATA_DIR ?? "data";
const app = createApp({ dbFile: join(dataDir, "todos.sqlite") });

const host = process.env.HOST ?? "127.0.0.1";
const server = app.listen(port, host, (err?: Error) => {
  if (err) throw err;
  console.log(`isoform todo demo: http://${host}:${port}/  (data in ${join(dataDir, "todos.sqlite")})`);
});
// Node's own bounds on a slow client are minutes long; isoform bounds each body (limits.bodyTimeout,
// 30 s), and these bound the headers and the whole request, uploads included.
server.headersTimeout = 10_000;
server.requestTimeout = 120_000;
