import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { serverFn, ServerFnError } from "../server/index.js";
import { COOKIE_NAME, OUTCOME_TTL_MS, openOutcome, sealOutcome } from "../server/outcome-cookie.js";
import { startApp } from "./support/app.js";
import { formPost, navigationHeaders, request } from "./support/request.js";

/**
 * Post/Redirect/Get without losing anything: the outcome travels to the next render of the
 * return page in a signed, short-lived cookie (or, too big for one, the page is rendered in
 * the same response), and is shown once.
 */
let a: Awaited<ReturnType<typeof startApp>>;
let b: Awaited<ReturnType<typeof startApp>>;
let stranger: Awaited<ReturnType<typeof startApp>>;
beforeAll(async () => {
  a = await startApp({ secret: "shared-secret" });
  b = await startApp({ secret: "shared-secret" }); // another instance: shares only the secret
  stranger = await startApp({ secret: "another-secret" });
});
afterAll(async () => Promise.all([a.close(), b.close(), stranger.close()]));

const submit = (base: string, body: string) => formPost(base + "/api/add_todo", body + "&_isoform_return=%2Fform", navigationHeaders());

function cookieOf(res: { headers: Record<string, string | string[] | undefined> }): string {
  const set = ([] as string[]).concat(res.headers["set-cookie"] ?? []);
  const c = set.find((s) => s.startsWith(COOKIE_NAME + "="));
  if (!c) throw new Error("no outcome cookie in " + JSON.stringify(set));
  return c;
}
const pair = (cookie: string) => cookie.split(";")[0];
const page = (base: string, cookie?: string) => request(base + "/form", { headers: cookie ? { cookie } : {} });

describe("the outcome cookie", () => {
  it("is HttpOnly, SameSite=Lax, short-lived and scoped to the site", async () => {
    const res = await submit(a.url, "title=hello");
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe("/form");
    const cookie = cookieOf(res);
    expect(cookie).toMatch(/; HttpOnly/i);
    expect(cookie).toMatch(/; SameSite=Lax/i);
    expect(cookie).toMatch(/; Path=\//i);
    const maxAge = Number(/Max-Age=(\d+)/i.exec(cookie)?.[1]);
    expect(maxAge).toBeGreaterThan(0);
    expect(maxAge).toBeLessThanOrEqual(OUTCOME_TTL_MS / 1000);
  });

  it("carries a success to the return page, shown once", async () => {
    const cookie = pair(cookieOf(await submit(a.url, "title=hello")));
    const first = await page(a.url, cookie);
    expect(first.text).toContain(`<pre id="result">{&quot;id&quot;:1,&quot;title&quot;:&quot;hello&quot;}</pre>`);
    expect(cookieOf(first)).toMatch(/Max-Age=0|Expires=Thu, 01 Jan 1970/i); // cleared
    expect(first.headers["cache-control"]).toBe("no-store");
    // The browser drops the cleared cookie, so a reload shows nothing and re-submits nothing.
    const again = await page(a.url);
    expect(again.text).toContain(`<pre id="result">null</pre>`);
  });

  it("carries an error with its issues and the input back, nothing sensitive", async () => {
    const res = await submit(a.url, "title=%20%20&body=kept%20text&password=hunter22&secret_note=private&_csrf=x");
    const raw = decodeURIComponent(pair(cookieOf(res)).slice(COOKIE_NAME.length + 1));
    const stored = JSON.parse(Buffer.from(raw.split(".")[0], "base64url").toString("utf8"));
    expect(stored.error).toMatchObject({ type: "Validation", issues: [{ path: ["title"], message: "Title is required" }] });
    expect(stored.input).toEqual({ title: "  ", body: "kept text" });
    expect(raw).not.toMatch(/hunter22|private/);
    const html = (await page(a.url, pair(cookieOf(res)))).text;
    expect(html).toContain("Title is required");
    expect(html).toContain(">kept text</textarea>");
    expect(html).not.toMatch(/hunter22|private/);
  });

  it("never stores a password confirmation, or a sensitive field named by its nested path", async () => {
    serverFn({ name: "pay", registry: a.registry, sensitive: ["card[number]", "ssn"] }, async () => {
      throw new ServerFnError("Card declined", { status: 402 });
    });
    const res = await formPost(
      a.url + "/api/pay",
      "card[number]=4111111111111111&card[name]=Bob&person[ssn]=078-05-1120&password_confirmation=hunter2&newPassword=hunter3&_isoform_return=%2Fform",
      navigationHeaders(),
    );
    const raw = decodeURIComponent(pair(cookieOf(res)).slice(COOKIE_NAME.length + 1));
    const stored = JSON.parse(Buffer.from(raw.split(".")[0], "base64url").toString("utf8"));
    expect(stored.input).toEqual({ card: { name: "Bob" }, person: {} });
  });

  it("is found behind a junk cookie of the same name, or one whose name merely ends like it", async () => {
    const cookie = pair(cookieOf(await submit(a.url, "title=%20&body=behind%20junk")));
    for (const before of [`${COOKIE_NAME}=junk`, `my_${COOKIE_NAME}=1`, `last=/x?${COOKIE_NAME}=1`]) {
      const html = (await page(a.url, `${before}; ${cookie}`)).text;
      expect([before, html.includes(">behind junk</textarea>")]).toEqual([before, true]);
    }
  });

  it("is read by another instance sharing the secret", async () => {
    const cookie = pair(cookieOf(await submit(a.url, "title=from%20a")));
    expect((await page(b.url, cookie)).text).toContain("from a");
  });

  it("from an instance with another secret is ignored and cleared", async () => {
    const cookie = pair(cookieOf(await submit(stranger.url, "title=foreign")));
    const res = await page(a.url, cookie);
    expect(res.text).not.toContain("foreign");
    expect(cookieOf(res)).toMatch(/Max-Age=0|Expires=Thu, 01 Jan 1970/i);
  });

  it("tampered with is ignored", async () => {
    const cookie = pair(cookieOf(await submit(a.url, "title=original")));
    const [name, value] = cookie.split("=");
    const [payload, sig] = decodeURIComponent(value).split(".");
    const forged = Buffer.from(Buffer.from(payload, "base64url").toString("utf8").replace("original", "forged!!")).toString("base64url");
    const res = await page(a.url, `${name}=${forged}.${sig}`);
    expect(res.text).not.toContain("forged");
    expect(res.text).not.toContain("original");
  });

  it("expires", () => {
    const secret = Buffer.from("k");
    const sealed = sealOutcome({ fn: "f", to: "/", ok: true, exp: Date.now() + OUTCOME_TTL_MS }, secret)!;
    expect(openOutcome(sealed, secret)).toMatchObject({ fn: "f" });
    expect(openOutcome(sealed, secret, Date.now() + OUTCOME_TTL_MS + 1)).toBeUndefined();
    expect(openOutcome(sealed, Buffer.from("other"))).toBeUndefined();
    expect(openOutcome("garbage", secret)).toBeUndefined();
  });

  it("for another page is left for that page", async () => {
    const cookie = pair(cookieOf(await submit(a.url, "title=elsewhere")));
    const other = await request(a.url + "/done", { headers: { cookie } });
    expect(other.text).not.toContain("elsewhere");
    expect(other.headers["set-cookie"]).toBeUndefined();
    expect((await page(a.url, cookie)).text).toContain("elsewhere");
  });
});

describe("an outcome too big for a cookie", () => {
  it("renders the page in the same response with the error status: a 50 KB textarea comes back intact", async () => {
    const body = "line of text\n".repeat(4000).slice(0, 50_000);
    const res = await submit(a.url, `title=ok&body=${encodeURIComponent(body)}`);
    expect(res.status).toBe(422);
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(res.text).toContain("Body is too long");
    const kept = /<textarea name="body">([\s\S]*?)<\/textarea>/.exec(res.text)?.[1];
    expect(kept?.length).toBe(50_000);
    expect(kept).toBe(body);
  });

  it("whose return page is a GET function's own URL is not re-run there: the input comes back on a plain page", async () => {
    // Re-rendering the return page by running that URL again once looped forever here.
    let runs = 0;
    const tooLong = z.object({ q: z.string().max(5, "Query is too long") });
    const counted: typeof tooLong = Object.create(tooLong, {
      "~standard": {
        value: {
          ...tooLong["~standard"],
          validate(value: unknown) {
            if (++runs > 3) throw new Error("validated in a loop");
            return tooLong["~standard"].validate(value);
          },
        },
      },
    });
    serverFn({ name: "search", encoding: "get-json", registry: a.registry, input: counted }, async () => []);
    const q = "%01".repeat(660); // ~4 KB once JSON-escaped: too big for the cookie, short as a URL
    const url = `${a.url}/api/search?q=${q}`;
    const res = await request(url, { headers: { ...navigationHeaders(), referer: url } });
    expect(res.status).toBe(422);
    expect(res.text).toContain("Query is too long");
    expect(res.text).toContain(`<textarea readonly rows="3" cols="60">${"\u0001".repeat(660)}</textarea>`);
    expect(runs).toBe(1);
  });
});

describe("input only CBOR can carry", () => {
  it("a BigInt travels in the cookie as its decimal digits", async () => {
    // {title: 2n ** 64n} as CBOR: a positive bignum (tag 2)
    const body = Buffer.from("a1657469746c65c249010000000000000000", "hex");
    const res = await request(a.url + "/api/echo_cbor", { method: "POST", body, headers: { ...navigationHeaders(), "content-type": "application/cbor", referer: a.url + "/form" } });
    expect(res.status).toBe(303);
    const stored = openOutcome(decodeURIComponent(pair(cookieOf(res)).split("=")[1]!), Buffer.from("shared-secret"));
    expect(stored?.value).toEqual({ title: "18446744073709551616" });
  });
});
