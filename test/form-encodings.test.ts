import express from "express";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { isoform, PageHelpers, Registry, serverFn } from "../server/index.js";
import { listen, type Listening } from "./support/listen.js";
import { formPost, navigationHeaders, request } from "./support/request.js";

/**
 * A form bound to a `json` or `cbor` function cannot be sent by a browser without
 * JavaScript: the page's developer is warned when it is rendered (outside production), and a
 * user who posts it anyway gets a clear message on the page, not a bare 415.
 */
const registry = new Registry();
serverFn({ name: "save_json", encoding: "json", registry }, async () => "saved");
serverFn({ name: "save_cbor", encoding: "cbor", registry }, async () => "saved");
serverFn({ name: "save_url", registry }, async () => "saved");

let server: Listening;
beforeAll(async () => {
  const app = express();
  app.use(isoform({ registry, secret: "forms", production: true, log: () => {} }));
  app.get("/", (_req, res) => {
    const f = res.locals.isoform;
    res.type("html").send(`${f.form("save_json")}<input name="title"></form><p id="error">${f.errorOf("save_json")?.message ?? ""}</p>`);
  });
  server = await listen(app);
});
afterAll(() => server.close());

describe("a form bound to a function that takes JSON or CBOR", () => {
  for (const name of ["save_json", "save_cbor"]) {
    it(`${name}: posted without JavaScript, comes back to its page saying it needs JavaScript and how to fix it`, async () => {
      const post = await formPost(`${server.url}/api/${name}`, "title=x&_isoform_return=%2F", navigationHeaders());
      expect(post.status).toBe(303);
      expect(post.headers.location).toBe("/");
      if (name === "save_json") {
        const cookie = String(post.headers["set-cookie"]).split(";")[0]!;
        const page = await request(`${server.url}/`, { headers: { cookie } });
        expect(page.text).toContain("This form needs JavaScript: save_json takes JSON");
        expect(page.text).toContain(`encoding "url"`);
      }
    });
  }

  it("warns its developer once per function when rendered outside production, and never for url forms", () => {
    const warn = vi.fn();
    const page = new PageHelpers(registry, "/", undefined, undefined, "", warn);
    page.form("save_cbor");
    page.form("save_cbor");
    page.form("save_url");
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]![0]).toMatch(/form\("save_cbor"\) posts CBOR.*Give "save_cbor" encoding "url"/);
  });
});
