/**
 * The fetch handler under another runtime: `bun test/support/runtime-server.ts '<options>'`
 * or `deno run -A --sloppy-imports test/support/runtime-server.ts '<options>'`. Serves the
 * test registry and page (test/support/registry.ts) with Bun.serve or Deno.serve on an
 * ephemeral port of 127.0.0.1 and prints `LISTENING <port>`. startApp (test/support/app.ts)
 * starts it for the "bun" and "deno" projects of vitest.config.ts.
 */
import { createFetchHandler } from "../../server/fetch.js";
import { testPage, testRegistry } from "./registry.js";

declare const Bun: { serve(o: { port: number; hostname: string; fetch(r: Request): Promise<Response> }): { port: number } } | undefined;
declare const Deno:
  | { args: string[]; serve(o: { port: number; hostname: string; onListen(a: { port: number }): void }, h: (r: Request) => Promise<Response>): unknown }
  | undefined;

const args = typeof Deno !== "undefined" ? Deno.args : process.argv.slice(2);
const { trustProxy, ...options } = JSON.parse(args[0] ?? "{}") as { trustProxy?: boolean; [k: string]: unknown };
const PAGES = ["/", "/form", "/done"];
const html = (body: string, status = 200, headers?: Headers) => {
  const res = new Response(body, { status, headers: { "content-type": "text/html; charset=utf-8" } });
  headers?.forEach((v, k) => res.headers.append(k, v));
  return res;
};

const { registry } = testRegistry();
const handler = createFetchHandler({
  registry,
  secret: "test-secret",
  production: true,
  log: () => {},
  ...options,
  trustProxy: trustProxy === true,
  renderPage: (_request, page, status) => html(testPage(page), status),
});

async function fetch(request: Request): Promise<Response> {
  const answered = await handler(request);
  if (answered) return answered;
  if (!PAGES.includes(new URL(request.url).pathname)) return new Response("Not found", { status: 404 });
  const { helpers, headers } = handler.helpers(request);
  return html(testPage(helpers), 200, headers);
}

if (typeof Bun !== "undefined") {
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch });
  console.log(`LISTENING ${server.port}`);
} else if (typeof Deno !== "undefined") {
  Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: ({ port }) => console.log(`LISTENING ${port}`) }, fetch);
} else {
  throw new Error("runtime-server.ts runs under Bun or Deno");
}
