import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp } from "./support/app.js";
import { request } from "./support/request.js";

/**
 * The cross-origin matrix of docs/protocol.md §6 (Go's CrossOriginProtection): Sec-Fetch-Site first,
 * then Origin against the request's own origin or a trusted one; no headers is not a
 * browser and passes; GET functions and opted-out functions are never checked.
 */
let app: Awaited<ReturnType<typeof startApp>>;
let proxied: Awaited<ReturnType<typeof startApp>>;
beforeAll(async () => {
  app = await startApp({ trustedOrigins: ["https://admin.example.com"] });
  proxied = await startApp({ trustProxy: true });
});
afterAll(async () => {
  await app.close();
  await proxied.close();
});

const post = (base: string, path: string, headers: Record<string, string>) =>
  request(base + path, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", "x-isoform": "1", ...headers }, body: "title=hello" });

describe("cross-origin protection", () => {
  const cases: [string, () => Record<string, string>, number][] = [
    ["same-origin by Sec-Fetch-Site", () => ({ "sec-fetch-site": "same-origin", origin: app.origin }), 200],
    ["Sec-Fetch-Site none (typed URL, bookmark)", () => ({ "sec-fetch-site": "none" }), 200],
    ["cross-site with Origin", () => ({ "sec-fetch-site": "cross-site", origin: "https://evil.example" }), 403],
    ["cross-site with only Sec-Fetch-Site", () => ({ "sec-fetch-site": "cross-site" }), 403],
    ["same-site (a sibling subdomain) is still another origin", () => ({ "sec-fetch-site": "same-site", origin: "http://sub.127.0.0.1" }), 403],
    ["no Sec-Fetch-Site, Origin equal to the request's origin", () => ({ origin: app.origin }), 200],
    ["no Sec-Fetch-Site, foreign Origin", () => ({ origin: "https://evil.example" }), 403],
    ["Origin null (sandboxed or privacy-redirected)", () => ({ origin: "null" }), 403],
    ["no headers at all: not a browser", () => ({}), 200],
    ["cross-site from a trusted origin", () => ({ "sec-fetch-site": "cross-site", origin: "https://admin.example.com" }), 200],
  ];
  for (const [name, headers, status] of cases) {
    it(`${name} → ${status}`, async () => {
      const res = await post(app.url, "/api/add_todo", headers());
      expect(res.status).toBe(status);
      if (status === 403) expect(res.json()).toMatchObject({ error: { type: "Forbidden" } });
      else expect(res.json()).toEqual({ id: 1, title: "hello" });
    });
  }

  it("a function with csrf: false accepts cross-site posts (webhooks)", async () => {
    const res = await post(app.url, "/api/webhook", { "sec-fetch-site": "cross-site", origin: "https://payments.example" });
    expect(res.status).toBe(200);
    expect(res.json()).toBe("received");
  });

  it("GET functions are never checked (they must be read-only)", async () => {
    const res = await request(app.url + "/api/echo_get_json?q=1", { headers: { "sec-fetch-site": "cross-site", origin: "https://evil.example" } });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ q: "1" });
  });

  it("behind a proxy with trust proxy, the forwarded origin is the request's own", async () => {
    const headers = { "x-forwarded-proto": "https", "x-forwarded-host": "todo.example.com" };
    const ok = await post(proxied.url, "/api/add_todo", { ...headers, origin: "https://todo.example.com" });
    expect(ok.status).toBe(200);
    const bad = await post(proxied.url, "/api/add_todo", { ...headers, origin: proxied.origin });
    expect(bad.status).toBe(403);
  });

  it("without trust proxy, forwarded headers are ignored", async () => {
    const res = await post(app.url, "/api/add_todo", { "x-forwarded-proto": "https", "x-forwarded-host": "todo.example.com", origin: "https://todo.example.com" });
    expect(res.status).toBe(403);
  });
});
