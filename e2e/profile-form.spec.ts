import { test, expect, unique } from "./fixtures.js";
import type { Page } from "@playwright/test";

// The profile form exercises every no-JS form feature on one page: nested fields, a
// repeated field, a password, a file upload (multipart) and a redirect from the handler.
// One profile per server, so these tests run one after another.
test.describe.configure({ mode: "serial" });

// A 1×1 transparent PNG.
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=",
  "base64",
);

async function fill(page: Page, name: string, { password = "correct horse" } = {}) {
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Email").fill("ada@example.com");
  await page.getByLabel("Street").fill("12 Analytical Row");
  await page.getByLabel("City").fill("London");
  await page.getByLabel("Tag 1").fill("math");
  await page.getByLabel("Tag 2").fill("engines");
  await page.getByLabel(/^Password/).fill(password);
}

test("saves nested fields, tags and an avatar, and shows them back", async ({ page, open }) => {
  await open("/profile");
  const name = unique("Ada");
  await fill(page, name);
  await page.getByLabel(/^Avatar/).setInputFiles({ name: "avatar.png", mimeType: "image/png", buffer: PNG });
  await page.getByRole("button", { name: "Save profile" }).click();
  await expect(page).toHaveURL(/\/profile\?saved=1$/); // the handler's redirect, followed
  await expect(page.locator(".isoform-notice")).toHaveText("Profile saved.");
  await expect(page.locator("#saved-name")).toHaveText(name);
  await expect(page.locator("#saved-address")).toHaveText("12 Analytical Row, London");
  await expect(page.locator("#saved-tags")).toHaveText("math, engines");
  const avatar = page.locator("#avatar-preview");
  await expect(avatar).toBeVisible();
  const res = await page.request.get("/profile/avatar");
  expect(res.headers()["content-type"]).toBe("image/png");
  expect(Buffer.from(await res.body()).equals(PNG)).toBe(true);
});

test("a validation error keeps everything typed except the password", async ({ page, open, scriptMode }) => {
  await open("/profile");
  const name = unique("Grace");
  await fill(page, name, { password: "short" });
  await page.getByLabel("City").fill("");
  await page.getByRole("button", { name: "Save profile" }).click();
  await expect(page.locator("#isoform-update_profile--password")).toHaveText("Password must be at least 8 characters");
  await expect(page.locator("#isoform-update_profile--address_city_")).toHaveText("City is required");
  await expect(page.getByLabel("City")).toHaveAttribute("aria-invalid", "true");
  await expect(page.getByLabel("Name")).toHaveValue(name);
  await expect(page.getByLabel("Street")).toHaveValue("12 Analytical Row");
  await expect(page.getByLabel("Tag 1")).toHaveValue("math");
  await expect(page.getByLabel("Tag 2")).toHaveValue("engines");
  // Without JavaScript the page is rendered again and a password is never echoed back;
  // with it, the page stays and nothing typed is touched.
  await expect(page.getByLabel(/^Password/)).toHaveValue(scriptMode === "on" ? "short" : "");
  await expect(page.locator("#saved-name")).not.toHaveText(name);
});

test("a file that is not an image is refused with its own error", async ({ page, open }) => {
  await open("/profile");
  await fill(page, unique("Linus"));
  await page.getByLabel(/^Avatar/).setInputFiles({ name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("hello") });
  await page.getByRole("button", { name: "Save profile" }).click();
  await expect(page.locator("#isoform-update_profile--avatar")).toHaveText("The avatar must be a PNG, JPEG, GIF or WebP image");
  await expect(page.getByLabel("City")).toHaveValue("London");
});

test("a file over the size limit is refused and everything typed comes back except the password", async ({ page, open, scriptMode }) => {
  await open("/profile");
  const name = unique("Hedy");
  await fill(page, name);
  // Over the avatar's 512 KB (the function's fileSize is 100 MB, for attachments): refused by validation.
  await page.getByLabel(/^Avatar/).setInputFiles({ name: "huge.png", mimeType: "image/png", buffer: Buffer.alloc(3 * 1024 * 1024, 1) });
  await page.getByRole("button", { name: "Save profile" }).click();
  await expect(page.locator("#isoform-update_profile--avatar")).toHaveText("The avatar must be at most 512 KB");
  await expect(page.getByLabel("Name")).toHaveValue(name);
  await expect(page.getByLabel("Email")).toHaveValue("ada@example.com");
  await expect(page.getByLabel("Street")).toHaveValue("12 Analytical Row");
  await expect(page.getByLabel("City")).toHaveValue("London");
  await expect(page.getByLabel("Tag 2")).toHaveValue("engines");
  await expect(page.getByLabel(/^Password/)).toHaveValue(scriptMode === "on" ? "correct horse" : "");
  await expect(page.locator("#saved-name")).not.toHaveText(name);
});
