import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isoform, Registry, serverFn, ServerFnError, type GuardRequest } from "../server/index.js";
import { listen, type Listening } from "./support/listen.js";
import { formPost, navigationHeaders, request } from "./support/request.js";

/**
 * Guards: they run after cross-origin protection and before the body is read; a refusal
 * with a `location` reaches each kind of caller in its own way, and what a guard returns
 * reaches the handler's ctx.
 */
const registry = new Registry();
const seen: string[] = [];

function requireUser(request: GuardRequest) {
  const user = /(?:^|; )user=(\w+)/.exec(request.header("cookie") ?? "")?.[1];
  if (!user) throw new ServerFnError("Sign in first", { type: "Unauthorized", location: "/login?next=%2F" });
  return { user };
}

serverFn({ name: "whoami", registry, guard: [requireUser] }, async (_input, ctx) => `hello ${ctx.user}`);
serverFn({ name: "open_door", registry }, async () => "open");

let server: Listening;
beforeAll(async () => {
  const app = express();
  app.use(
    isoform({
      registry,
      secret: "guards",
      production: true,
      log: () => {},
      // A global guard runs first, for every function; this one only records the order.
      guard: (request) => void seen.push(`global ${request.method} ${request.url}`),
    }),
  );
  server = await listen(app);
});
afterAll(() => server.close());

const signedIn = { cookie: "user=ada" };

describe("a guard", () => {
  it("refuses an enhanced call with the 401 envelope, its message and its page", async () => {
    const res = await formPost(`${server.url}/api/whoami`, "", { "x-isoform": "1" });
    expect(res.status).toBe(401);
    expect(res.json()).toEqual({ error: { type: "Unauthorized", message: "Sign in first", location: "/login?next=%2F" } });
  });

  it("sends htmx to its page with HX-Redirect", async () => {
    const res = await formPost(`${server.url}/api/whoami`, "", { "hx-request": "true" });
    expect(res.status).toBe(200);
    expect(res.headers["hx-redirect"]).toBe("/login?next=%2F");
  });

  it("sends a browser without JavaScript to its page with a 303", async () => {
    const res = await formPost(`${server.url}/api/whoami`, "_isoform_return=%2F", navigationHeaders());
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe("/login?next=%2F");
    expect(res.headers["set-cookie"]).toBeUndefined();
  });

  it("lets a signed-in call through, with what it returned on ctx", async () => {
    expect((await formPost(`${server.url}/api/whoami`, "", { "x-isoform": "1", ...signedIn })).json()).toBe("hello ada");
    const nav = await formPost(`${server.url}/api/whoami`, "_isoform_return=%2Fhome", { ...navigationHeaders(), ...signedIn });
    expect(nav.status).toBe(303);
    expect(nav.headers.location).toBe("/home");
  });

  it("runs after cross-origin protection: a cross-site post is refused before any guard runs", async () => {
    seen.length = 0;
    const res = await formPost(`${server.url}/api/whoami`, "", { "x-isoform": "1", "sec-fetch-site": "cross-site", origin: "https://evil.example" });
    expect(res.status).toBe(403);
    expect(seen).toEqual([]);
  });

  it("runs before the body is read: a refused call never reads its (too large) body", async () => {
    const res = await request(`${server.url}/api/whoami`, { method: "POST", headers: { "x-isoform": "1", "content-type": "application/x-www-form-urlencoded" }, body: "x=" + "a".repeat(2_000_000) });
    expect(res.status).toBe(401); // not 413
  });

  it("a global guard runs for every function, first", async () => {
    seen.length = 0;
    expect((await formPost(`${server.url}/api/open_door`, "", { "x-isoform": "1" })).json()).toBe("open");
    expect(seen).toEqual(["global POST /api/open_door"]);
  });
});
