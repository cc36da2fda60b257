import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createRequestHandler, serverFn, ServerFnError } from "../server/index.js";
import { clearOutcomeCookie, COOKIE_NAME, MAX_COOKIE_VALUE, OUTCOME_TTL_MS, openOutcome, outcomeCookie, readOutcomeCookies, sealOutcome } from "../server/outcome-cookie.js";
import { UploadedFile } from "../server/codecs/uploaded-file.js";
import { echoableInput, isSensitiveName } from "../server/outcome.js";
import { startApp, testRegistry } from "./support/app.js";
import { listen } from "./support/listen.js";
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

  it("carries the form's success text, filled from the result, to the return page: a notice focused on load", async () => {
    const text = encodeURIComponent("“{title}” added (#{id}){missing}");
    const res = await submit(a.url, `title=Tea&_isoform_success=${text}`);
    const html = (await page(a.url, pair(cookieOf(res)))).text;
    expect(html).toContain('<p class="isoform-notice" data-isoform-notice role="status" tabindex="-1" autofocus>“Tea” added (#');
    expect(html).toMatch(/“Tea” added \(#\d+\)<\/p>/);
    expect(html).toContain("<title>t</title>");
  });

  it("keeps the success text out of the input, cut at 300 characters", async () => {
    serverFn({ name: "echo_input", registry: a.registry }, async (input) => input);
    const res = await formPost(a.url + "/api/echo_input", `x=1&_isoform_success=${"y".repeat(400)}&_isoform_return=%2Fform`, navigationHeaders());
    const raw = decodeURIComponent(pair(cookieOf(res)).slice(COOKIE_NAME.length + 1));
    const stored = JSON.parse(Buffer.from(raw.split(".")[0], "base64url").toString("utf8"));
    expect(stored.value).toEqual({ x: "1" });
    expect(stored.notice).toBe("y".repeat(300));
  });

  it("a failure's page may be kept for Back (private, no-cache), its title prefixed 'Error: '; a success's may not (no-store)", async () => {
    const failed = await page(a.url, pair(cookieOf(await submit(a.url, "title=%20"))));
    expect(failed.headers["cache-control"]).toBe("private, no-cache");
    expect(failed.text).toContain("<title>Error: t</title>");
    expect(failed.text).not.toContain("isoform-notice");
    const ok = await page(a.url, pair(cookieOf(await submit(a.url, "title=ok&_isoform_success=Saved"))));
    expect(ok.headers["cache-control"]).toBe("no-store");
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

describe("the outcome cookie's signature", () => {
  const secret = Buffer.from("k");
  const sealed = () => sealOutcome({ fn: "f", to: "/", ok: true, exp: Date.now() + OUTCOME_TTL_MS }, secret)!;

  it("an empty, truncated, extended or altered signature is refused (never only the overlapping part compared)", () => {
    const [payload, sig] = sealed().split(".") as [string, string];
    expect(openOutcome(`${payload}.${sig}`, secret)).toMatchObject({ fn: "f" });
    for (const forged of [`${payload}.`, `${payload}.${sig.slice(0, 1)}`, `${payload}.${sig.slice(0, -1)}`, `${payload}.${sig}A`, `${payload}.${sig.slice(0, -1)}${sig.endsWith("A") ? "B" : "A"}`, payload, `.${sig}`]) {
      expect([forged, openOutcome(forged, secret)]).toEqual([forged, undefined]);
    }
  });

  it("a cookie with an empty or truncated signature is ignored and cleared by the page", async () => {
    const cookie = pair(cookieOf(await submit(a.url, "title=%20&body=unsigned")));
    const [name, value] = cookie.split("=") as [string, string];
    const [payload, sig] = decodeURIComponent(value).split(".") as [string, string];
    for (const forged of [`${payload}.`, `${payload}.${sig.slice(0, 8)}`]) {
      const res = await page(a.url, `${name}=${forged}`);
      expect(res.text).not.toContain("unsigned");
      expect(cookieOf(res)).toMatch(/Max-Age=0/i);
    }
  });

  it("a payload that verifies but is not an outcome (no expiry, name or page) is refused", () => {
    const sign = (json: string) => {
      const payload = Buffer.from(json).toString("base64url");
      // the signature of a real seal over this payload: seal something, then swap the payload
      return `${payload}.${createHmac("sha256", secret).update(payload).digest("base64url")}`;
    };
    const exp = Date.now() + 1000;
    expect(openOutcome(sign(JSON.stringify({ fn: "f", to: "/", ok: true, exp })), secret)).toMatchObject({ fn: "f", to: "/" });
    for (const json of ["null", "7", '"text"', "{not json", JSON.stringify({ fn: "f", to: "/", ok: true }), JSON.stringify({ fn: "f", to: "/", ok: true, exp: String(exp) }), JSON.stringify({ to: "/", ok: true, exp }), JSON.stringify({ fn: "f", ok: true, exp }), JSON.stringify({ fn: 1, to: "/", ok: true, exp }), JSON.stringify({ fn: "f", to: ["/"], ok: true, exp })]) {
      expect([json, openOutcome(sign(json), secret)]).toEqual([json, undefined]);
    }
  });

  it("expires at its expiry, not a moment before", () => {
    const exp = Date.now() + OUTCOME_TTL_MS;
    const value = sealOutcome({ fn: "f", to: "/", ok: true, exp }, secret)!;
    expect(openOutcome(value, secret, exp)).toMatchObject({ fn: "f" });
    expect(openOutcome(value, secret, exp + 1)).toBeUndefined();
  });

  it("is left unsealed once it would not fit a browser's cookie", () => {
    const fits = (n: number) => sealOutcome({ fn: "f", to: "/", ok: true, exp: 1, value: "x".repeat(n) }, secret);
    // Find the largest value that fits: its cookie value is at most MAX_COOKIE_VALUE long.
    let n = 0;
    while (fits(n + 1) !== undefined) n++;
    expect(MAX_COOKIE_VALUE).toBe(3900);
    expect(fits(n)!.length).toBe(MAX_COOKIE_VALUE); // exactly at the limit still fits
    expect(fits(n + 1)).toBeUndefined();
  });
});

describe("the outcome cookie's attributes", () => {
  it("are exactly these, with Secure only when asked", () => {
    expect(COOKIE_NAME).toBe("isoform_outcome");
    expect(outcomeCookie("v", false)).toBe("isoform_outcome=v; Path=/; Max-Age=60; HttpOnly; SameSite=Lax");
    expect(outcomeCookie("v", true)).toBe("isoform_outcome=v; Path=/; Max-Age=60; HttpOnly; SameSite=Lax; Secure");
    expect(clearOutcomeCookie(false)).toBe("isoform_outcome=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax");
    expect(clearOutcomeCookie(true)).toBe("isoform_outcome=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax; Secure");
  });

  it("only our cookie's non-empty values are read, in order, names compared whole", () => {
    expect(readOutcomeCookies(undefined)).toEqual([]);
    expect(readOutcomeCookies("")).toEqual([]);
    expect(readOutcomeCookies("a=1; b=2")).toEqual([]);
    expect(readOutcomeCookies(`${COOKIE_NAME}=one; x=1; ${COOKIE_NAME}= two ;${COOKIE_NAME}=; my_${COOKIE_NAME}=3; ${COOKIE_NAME}x=4; ${COOKIE_NAME}; ${COOKIE_NAME}Z`)).toEqual(["one", "two"]);
    expect(readOutcomeCookies("=orphan; isoform_outcome")).toEqual([]);
    expect(readOutcomeCookies(`${COOKIE_NAME}=a=b`)).toEqual(["a=b"]);
  });

  describe("behind an https proxy (express with trust proxy)", () => {
    let proxied: Awaited<ReturnType<typeof startApp>>;
    beforeAll(async () => (proxied = await startApp({ trustProxy: true })));
    afterAll(() => proxied.close());
    const https = { "x-forwarded-proto": "https", "x-forwarded-host": "todo.example.com" };

    it("is Secure when the request came over https, and so is its clearing", async () => {
      const res = await formPost(proxied.url + "/api/add_todo", "title=%20&body=over%20https&_isoform_return=%2Fform", { ...navigationHeaders(), ...https });
      expect(res.status).toBe(303);
      const cookie = cookieOf(res);
      expect(cookie).toMatch(/; Secure$/);
      const shown = await request(proxied.url + "/form", { headers: { ...https, cookie: pair(cookie) } });
      expect(shown.text).toContain(">over https</textarea>");
      expect(cookieOf(shown)).toMatch(/Max-Age=0.*; Secure$/);
      const junk = await request(proxied.url + "/form", { headers: { ...https, cookie: `${COOKIE_NAME}=junk.sig` } });
      expect(cookieOf(junk)).toMatch(/Max-Age=0.*; Secure$/);
    });

    it("is not Secure over plain http, nor when X-Forwarded-Proto is not trusted", async () => {
      const plain = await formPost(proxied.url + "/api/add_todo", "title=%20&_isoform_return=%2Fform", navigationHeaders());
      expect(cookieOf(plain)).not.toMatch(/Secure/i);
      const untrusted = await formPost(a.url + "/api/add_todo", "title=%20&_isoform_return=%2Fform", { ...navigationHeaders(), "x-forwarded-proto": "https" });
      expect(cookieOf(untrusted)).not.toMatch(/Secure/i);
      const cleared = await request(a.url + "/form", { headers: { "x-forwarded-proto": "https", cookie: `${COOKIE_NAME}=junk.sig` } });
      expect(cookieOf(cleared)).not.toMatch(/Secure/i);
    });
  });
});

describe("sensitive fields", () => {
  const stored = (res: { headers: Record<string, string | string[] | undefined> }) => {
    const raw = decodeURIComponent(pair(cookieOf(res)).slice(COOKIE_NAME.length + 1));
    return { raw, outcome: JSON.parse(Buffer.from(raw.split(".")[0]!, "base64url").toString("utf8")) };
  };
  beforeAll(() => {
    serverFn({ name: "sign_up", registry: a.registry, sensitive: ["cards[number]", "ssn"] }, async () => {
      throw new ServerFnError("Try again", { status: 409 });
    });
  });

  it("inside array items are never stored: accounts[0][password]", async () => {
    const body = [
      "accounts[0][name]=Ann", "accounts[0][password]=hunter2", "accounts[1][name]=Bo", "accounts[1][passwd]=hunter3",
      "cards[0][number]=4111111111111111", "cards[0][holder]=Ann", "people[0][ssn]=078-05-1120", "people[0][city]=Oslo",
    ].join("&");
    const { raw, outcome } = stored(await formPost(a.url + "/api/sign_up", body + "&_isoform_return=%2Fform", navigationHeaders()));
    expect(outcome.input).toEqual({ accounts: [{ name: "Ann" }, { name: "Bo" }], cards: [{ holder: "Ann" }], people: [{ city: "Oslo" }] });
    expect(raw).not.toMatch(/hunter|4111|078-05/);
  });

  it("every password-like spelling is never stored, at the top or nested", async () => {
    const secretNames = ["password", "Password", "passwd", "passphrase", "new_passphrase", "pwd", "user_pwd", "client_secret", "csrf_token", "tokenId", "pin", "PIN", "cvc", "cvv", "otp", "_hidden"];
    const body = secretNames.map((n, i) => `${n}=s3cr3t${i}&nested[${n}]=s3cr3t${i}`).join("&");
    const kept = ["pinned", "spin", "cvcx", "xcvc", "cvvx", "xcvv", "otps", "xotp", "pass", "word", "compass", "name_"];
    const { raw, outcome } = stored(await formPost(a.url + "/api/sign_up", `${body}&${kept.map((k) => `${k}=ok`).join("&")}&_isoform_return=%2Fform`, navigationHeaders()));
    expect(outcome.input).toEqual({ ...Object.fromEntries(kept.map((k) => [k, "ok"])), nested: {} });
    expect(raw).not.toMatch(/s3cr3t/);
  });

  it("echoed input is a copy of an object's plain values, lists kept as lists; anything but an object echoes nothing", () => {
    const input = { a: "1", n: 2, none: null, list: ["x", { password: "p", y: "z" }, ["deep"]], o: { first_name: "Ann", user_name: "ann" } };
    const copy = echoableInput(input, []);
    expect(copy).toEqual({ a: "1", n: 2, none: null, list: ["x", { y: "z" }, ["deep"]], o: { first_name: "Ann", user_name: "ann" } });
    expect(copy).not.toBe(input);
    expect(Array.isArray(copy!.list)).toBe(true);
    expect(Object.keys((copy!.list as unknown[])[1] as object)).toEqual(["y"]);
    for (const v of [undefined, null, "text", 7, ["a"]]) expect([v, echoableInput(v, [])]).toEqual([v, undefined]);
  });

  it("echoed input leaves uploaded files out, key and all, at any depth", () => {
    const file = new UploadedFile("a.txt", "text/plain", 1, "/nonexistent/isoform-test");
    const copy = echoableInput({ doc: file, caption: "x", more: { scan: file, note: "y" }, list: [file, "z"] }, []);
    expect(Object.keys(copy!)).toEqual(["caption", "more", "list"]);
    expect(Object.keys(copy!.more as object)).toEqual(["note"]);
    expect(copy!.list).toEqual([undefined, "z"]);
  });

  it("a field name is sensitive by its last segment, list indices left out", () => {
    for (const name of ["password", "password[0]", "1password", "password1", "accounts[0][passwd]", "a[b][pin]", "ssn[12]", "people[3][ssn]", "_csrf"]) {
      expect([name, isSensitiveName(name, ["ssn"])]).toEqual([name, true]);
    }
    for (const name of ["", "[]", "title", "tags[]", "tags[0]", "spin", "pinned", "first_name", "name_", "ssn_count", "password[note]", "12"]) {
      expect([name, isSensitiveName(name, ["ssn", "undefined"])]).toEqual([name, false]);
    }
    expect(isSensitiveName("card[number]", ["card[number]"])).toBe(true);
    expect(isSensitiveName("card[0][number]", ["card[number]"])).toBe(true);
    expect(isSensitiveName("number", ["card[number]"])).toBe(false);
    expect(isSensitiveName("other[number]", ["card[number]"])).toBe(false);
    expect(isSensitiveName("card[number][x]", ["card[number]"])).toBe(false);
  });

  it("a nested sensitive name matches that path only; a plain one matches that key at any depth", async () => {
    const body = "number=1&card[number]=2&cards[number]=3&ssn=4&deep[er][ssn]=5&deep[er][name]=6";
    const { outcome } = stored(await formPost(a.url + "/api/sign_up", body + "&_isoform_return=%2Fform", navigationHeaders()));
    expect(outcome.input).toEqual({ number: "1", card: { number: "2" }, cards: {}, deep: { er: { name: "6" } } });
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

describe("the plain page for an outcome too big for a cookie", () => {
  it("escapes the error, every field name and value, and the way back", async () => {
    const { registry } = testRegistry();
    serverFn({ name: "refuse", registry }, async () => {
      throw new ServerFnError('Refused <b>"here"</b> & there', { status: 409 });
    });
    const bare = await listen(createRequestHandler({ registry, secret: "s", production: true, log: () => {} }));
    try {
      const payload = '</textarea><script>alert("x")</script>';
      const long = "&".repeat(100) + "x".repeat(4000);
      const body = [`note=${encodeURIComponent(payload)}`, `long=${encodeURIComponent(long)}`, `a%3Cb%3E[c]=1`, `list[]=one`, `list[]=two`, `_isoform_return=${encodeURIComponent('/back?q="><i>')}`].join("&");
      const res = await formPost(bare.url + "/api/refuse", body, navigationHeaders());
      expect(res.status).toBe(409);
      expect(res.headers["content-type"]).toBe("text/html; charset=utf-8");
      expect(res.headers["cache-control"]).toBe("no-store");
      expect(res.text).toContain("<h1>Your submission was not accepted</h1>");
      expect(res.text).toContain("<p>Refused &lt;b&gt;&quot;here&quot;&lt;/b&gt; &amp; there</p>");
      expect(res.text).toContain(`<textarea readonly rows="3" cols="60">&lt;/textarea&gt;&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</textarea>`);
      expect(res.text).toContain(`<p><label>note<br><textarea`);
      expect(res.text).toContain(`<textarea readonly rows="3" cols="60">${"&amp;".repeat(100)}${"x".repeat(4000)}</textarea>`);
      expect(res.text).toContain(`<label>a&lt;b&gt;[c]<br><textarea readonly rows="3" cols="60">1</textarea>`);
      expect(res.text).toContain(`<label>list[0]<br><textarea readonly rows="3" cols="60">one</textarea>`);
      expect(res.text).toContain(`<label>list[1]<br><textarea readonly rows="3" cols="60">two</textarea>`);
      expect(res.text).toContain(`<a href="/back?q=%22%3E%3Ci%3E">Go back</a>`);
      expect(res.text).toContain("<small>Status 409</small>");
      expect(res.text).not.toMatch(/<script|<b>|<i>/);
      expect(res.text).toMatch(/<\/textarea><\/label><\/p><\/main><\/body><\/html>$/);
    } finally {
      await bare.close();
    }
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
