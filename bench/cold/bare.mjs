// The baseline for cold.ts: the same endpoint written with node:http and qs alone.
import { createServer } from "node:http";
import qs from "qs";

const server = createServer((req, res) => {
  if (req.method !== "POST" || req.url !== "/api/ping") return void res.writeHead(404).end();
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const input = qs.parse(Buffer.concat(chunks).toString("utf8"));
    const body = JSON.stringify({ pong: input.x ?? null });
    res.writeHead(200, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(body) }).end(body);
  });
}).listen(0, "127.0.0.1", () => console.log(`LISTENING ${server.address().port}`));
