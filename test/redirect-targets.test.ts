import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serverFn } from "../server/index.js";
import { sameOriginPath, withoutFragment } from "../server/redirect.js";
import { startApp } from "./support/app.js";
import { formPost, navigationHeaders, request } from "./support/request.js";

/**
 * Where the server sends a browser: the hidden return field, the Referer, a handler's
 * redirect and htmx's HX-Current-URL. Same-origin only, never a path a browser reads as
 * another host, and always a valid header.
 */
let app: Awaited<ReturnType<typeof startApp>>;
beforeAll(async () => {
  app = await startApp();
  serverFn({ name: "go_next", registry: app.registry }, async (input, ctx) => ctx.redirect(String(input.next)));
});
afterAll(() => app.close());

const OFFSITE = (o: string) => [`${o}//evil.example/x`, `${o}/..//evil.example`, `${o}/.//evil.example`, `http://user@${o.slice(7)}//evil.example`, "/..//evil.example", "//evil.example", "/\\evil.example", "https://evil.example/", "javascript:alert(1)"];

describe("return targets and redirects", () => {
  it("no spelling of another host comes back as one", () => {
    for (const t of OFFSITE("http://127.0.0.1:3000")) expect([t, sameOriginPath(t, "http://127.0.0.1:3000")]).toEqual([t, undefined]);
  });

  it("a return field that resolves to //host sends the browser home instead", async () => {
    for (const t of OFFSITE(app.origin)) {
      const res = await formPost(app.url + "/api/add_todo", `title=a&_isoform_return=${encodeURIComponent(t)}`, navigationHeaders());
      expect([t, res.status, res.headers.location]).toEqual([t, 303, "/"]);
    }
  });

  it("nor does a Referer, or a GET function reached from another site", async () => {
    const viaReferer = await formPost(app.url + "/api/add_todo", "title=a", { ...navigationHeaders(), referer: `${app.origin}//evil.example/` });
    expect(viaReferer.headers.location).toBe("/");
    const viaLink = await request(`${app.url}/api/echo_get_json?_isoform_return=${encodeURIComponent(app.origin + "//evil.example/phish")}`, { headers: navigationHeaders("cross-site") });
    expect([viaLink.status, viaLink.headers.location]).toEqual([303, "/"]);
  });

  it("nor does a handler's redirect, for any caller", async () => {
    const body = `next=${encodeURIComponent(app.origin + "//evil.example/")}`;
    const nav = await formPost(app.url + "/api/go_next", body, navigationHeaders());
    expect(nav.headers.location ?? "").not.toMatch(/^\/\//);
    const enhanced = await formPost(app.url + "/api/go_next", body, { "x-isoform": "1" });
    expect(enhanced.headers["x-isoform-redirect"]).toBeUndefined();
    const htmx = await formPost(app.url + "/api/go_next", body, { "hx-request": "true" });
    expect(htmx.headers["hx-redirect"]).toBeUndefined();
  });

  it("non-ASCII and DEL in a target are percent-encoded, not a 500 after the handler ran", async () => {
    for (const [t, want] of [["/ā", "/%C4%81"], ["/ok?x=☃", "/ok?x=%E2%98%83"], ["/a\x7f", "/a%7F"], ["/café", "/caf%C3%A9"]]) {
      const res = await formPost(app.url + "/api/add_todo", `title=a&_isoform_return=${encodeURIComponent(t)}`, navigationHeaders());
      expect([t, res.status, res.headers.location]).toEqual([t, 303, want]);
      const redirected = await formPost(app.url + "/api/go_next", `next=${encodeURIComponent(t)}`, { "x-isoform": "1" });
      expect([t, redirected.status, redirected.headers["x-isoform-redirect"]]).toEqual([t, 200, want]);
    }
  });

  it("a return target with a fragment keeps it in Location, and the page still gets the outcome", async () => {
    const res = await formPost(app.url + "/api/add_todo", "title=&body=keepme&_isoform_return=%2Fform%23frag", navigationHeaders());
    expect(res.headers.location).toBe("/form#frag");
    const cookie = ([] as string[]).concat(res.headers["set-cookie"] ?? [])[0]!.split(";")[0]!;
    const page = await request(app.url + "/form", { headers: { cookie } });
    expect(page.text).toContain(">keepme</textarea>");
  });

  it("the hidden return field wins over the Referer; the Referer is used only when the field is missing or refused", async () => {
    const referer = `${app.origin}/done?from=referer`;
    const both = await formPost(app.url + "/api/add_todo", "title=a&_isoform_return=%2Fform%3Ffrom%3Dfield", { ...navigationHeaders(), referer });
    expect([both.status, both.headers.location]).toEqual([303, "/form?from=field"]);
    const failed = await formPost(app.url + "/api/add_todo", "title=&_isoform_return=%2Fform", { ...navigationHeaders(), referer });
    expect(failed.headers.location).toBe("/form");
    const refused = await formPost(app.url + "/api/add_todo", `title=a&_isoform_return=${encodeURIComponent("//evil.example/")}`, { ...navigationHeaders(), referer });
    expect(refused.headers.location).toBe("/done?from=referer");
    const none = await formPost(app.url + "/api/add_todo", "title=a", { ...navigationHeaders(), referer });
    expect(none.headers.location).toBe("/done?from=referer");
    const neither = await formPost(app.url + "/api/add_todo", "title=a", navigationHeaders());
    expect(neither.headers.location).toBe("/");
  });

  it("a target up to 2048 characters is followed, a longer one is not", () => {
    const at = "/" + "a".repeat(2047);
    expect(sameOriginPath(at, "http://h")).toBe(at);
    expect(sameOriginPath(at + "a", "http://h")).toBeUndefined();
    expect(sameOriginPath("http://h/" + "a".repeat(2039), "http://h")).toBe("/" + "a".repeat(2039));
    expect(sameOriginPath("http://h/" + "a".repeat(2040), "http://h")).toBeUndefined();
  });

  it("only strings that are rooted paths or absolute URLs: not relative paths, nor anything else", () => {
    for (const t of [undefined, null, 42, ["/a"], "", "next", "next/page:1", "a/b", "?q=1", "#top", "mailto:x@h", "http://[::1"]) {
      expect([t, sameOriginPath(t, "http://h")]).toEqual([t, undefined]);
    }
  });

  it("without an origin to compare with, a rooted path is still resolved and //host still refused", () => {
    expect(sameOriginPath("/a/./b/../c?x#y", undefined)).toBe("/a/c?x#y");
    expect(sameOriginPath("//evil.example/x", undefined)).toBeUndefined();
    expect(sameOriginPath("/..//evil.example/x", undefined)).toBeUndefined();
    expect(sameOriginPath("http://h/x", undefined)).toBeUndefined();
  });

  it("an absolute URL of the own origin becomes its path, query and fragment", () => {
    expect(sameOriginPath("http://h/a?b=1#c", "http://h")).toBe("/a?b=1#c");
    expect(sameOriginPath("HTTP://H:80/a", "http://h")).toBe("/a");
    expect(sameOriginPath("http://h:81/a", "http://h")).toBeUndefined();
    expect(sameOriginPath("https://h/a", "http://h")).toBeUndefined();
  });

  it("a return target loses its fragment, and only that", () => {
    expect(withoutFragment("/a?b=1#c#d")).toBe("/a?b=1");
    expect(withoutFragment("/a?b=1")).toBe("/a?b=1");
    expect(withoutFragment("#top")).toBe("");
    expect(withoutFragment("")).toBe("");
  });

  it("a rooted path stays as written, dot segments resolved", () => {
    expect(sameOriginPath("/search?q='x'&a=(1)", "http://h")).toBe("/search?q='x'&a=(1)");
    expect(sameOriginPath("/a.b/c.html?x=1#y", "http://h")).toBe("/a.b/c.html?x=1#y");
    expect(sameOriginPath("/a/./b/../c", "http://h")).toBe("/a/c");
    expect(sameOriginPath("/a/./.c", "http://h")).toBe("/a/.c");
    expect(sameOriginPath("/a/..", "http://h")).toBe("/");
    expect(sameOriginPath("/a/.well-known/x", "http://h")).toBe("/a/.well-known/x");
    expect(sameOriginPath("next", "http://h")).toBeUndefined();
  });
});
