import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { isoform, Registry, serverFn } from "../server/index.js";
import { listen, type Listening } from "./support/listen.js";
import { formPost, navigationHeaders, request } from "./support/request.js";

/**
 * isoform mounted under a path: in a sub-app (`app.use("/shop", shop)`) or directly
 * (`app.use("/admin", isoform())`). Functions, the script and the forms the helpers write
 * are all under the mount path; a too-big outcome re-renders the page through the top app.
 */

const registry = new Registry();
serverFn(
  { name: "add_item", registry, input: z.object({ title: z.string().min(1, "Title is required"), note: z.string().max(100, "Note is too long").optional() }) },
  async ({ title }) => ({ title }),
);

let server: Listening;
beforeAll(async () => {
  const shop = express();
  shop.use(isoform({ registry, secret: "mount-test", production: true, log: () => {} }));
  shop.get("/", (_req, res) => {
    const f = res.locals.isoform;
    const note = f.value("add_item", "note");
    res.type("html").send(`${f.form("add_item")}<textarea name="note">${note}</textarea></form><pre id="result">${JSON.stringify(f.result("add_item") ?? null)}</pre>${f.script()}`);
  });
  const app = express();
  app.use("/shop", shop);
  app.use((_req, res) => void res.status(404).type("text").send("app's own 404"));
  server = await listen(app);
});
afterAll(() => server.close());

describe("isoform in a sub-app mounted at /shop", () => {
  it("writes forms and the script tag under the mount path", async () => {
    const page = await request(`${server.url}/shop/`);
    expect(page.text).toContain(`action="/shop/api/add_item"`);
    expect(page.text).toContain(`name="_isoform_return" value="/shop/"`);
    const src = /<script type="module" async src="([^"]+)"/.exec(page.text)?.[1];
    expect(src).toMatch(/^\/shop\/_isoform\/client\/isoform-/);
    expect((await request(`${server.url}${src}`)).status).toBe(200);
  });

  it("serves a function under the mount path, and not at the root", async () => {
    const res = await formPost(`${server.url}/shop/api/add_item`, "title=Hat", { "x-isoform": "1" });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ title: "Hat" });
    const outside = await formPost(`${server.url}/api/add_item`, "title=Hat", { "x-isoform": "1" });
    expect(outside.text).toBe("app's own 404");
  });

  it("takes a no-JavaScript post back to its page with the outcome (Post/Redirect/Get)", async () => {
    const post = await formPost(`${server.url}/shop/api/add_item`, "title=Scarf&_isoform_return=%2Fshop%2F", navigationHeaders());
    expect(post.status).toBe(303);
    expect(post.headers.location).toBe("/shop/");
    const cookie = String(post.headers["set-cookie"]).split(";")[0]!;
    const page = await request(`${server.url}/shop/`, { headers: { cookie } });
    expect(page.text).toContain(`<pre id="result">{"title":"Scarf"}</pre>`);
  });

  it("re-renders the page in the same response when the outcome is too big for a cookie", async () => {
    const note = "n".repeat(6000);
    const res = await formPost(`${server.url}/shop/api/add_item`, `title=Coat&note=${note}&_isoform_return=%2Fshop%2F`, navigationHeaders());
    expect(res.status).toBe(422);
    expect(res.text).toContain(`<textarea name="note">${note}</textarea>`);
    expect(res.text).toContain(`action="/shop/api/add_item"`);
  });
});
