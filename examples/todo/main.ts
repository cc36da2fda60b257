import { join } from "node:path";
import { createApp } from "./app.js";

const port = Number(process.env.PORT ?? 3000);
const dataDir = process.env.ISOFORM_DATA_DIR ?? "data";
const app = createApp({ dbFile: join(dataDir, "todos.sqlite") });

const host = process.env.HOST ?? "127.0.0.1";
app.listen(port, host, (err?: Error) => {
  if (err) throw err;
  console.log(`isoform todo demo: http://${host}:${port}/  (data in ${join(dataDir, "todos.sqlite")})`);
});
