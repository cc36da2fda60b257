import { test, expect, unique } from "./fixtures.js";

// A page on another origin posting a form to the demo: refused by cross-origin protection
// (Sec-Fetch-Site: cross-site, Origin mismatch), with a page that says so, and nothing added.
test("a form posted from another origin is refused", async ({ page, baseURL }) => {
  const title = unique("Forged");
  await page.route("http://other.test/**", (route) =>
    route.fulfill({
      contentType: "text/html",
      body: `<!doctype html><title>Other site</title>
        <form method="post" action="${baseURL}/api/add_todo">
          <input name="title" value="${title}"><button>Send</button>
        </form>`,
    }),
  );
  await page.goto("http://other.test/", { waitUntil: "domcontentloaded" });
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith("/api/add_todo")),
    page.getByRole("button", { name: "Send" }).click(),
  ]);
  expect(response.status()).toBe(403);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Request refused");
  await page.goto(`${baseURL}/`, { waitUntil: "domcontentloaded" });
  await expect(page.locator(".todos li", { hasText: title })).toHaveCount(0);
});
