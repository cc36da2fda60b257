import type { Page } from "@playwright/test";
import { hold } from "./support/hold.js";
import { test, expect, unique } from "./fixtures.js";

// What the client script adds on top of the no-JS baseline: no navigation, pending state,
// concurrent submissions, cancel, retry, errors in place, a live region.
test.beforeEach(({ scriptMode }) => {
  test.skip(scriptMode !== "on", "needs the client script loaded");
});

const pending = (page: Page) => page.locator("#pending-todos li");
const listed = (page: Page, title: string) => page.locator(".todos li", { hasText: title });


async function typeTodo(page: Page, title: string) {
  await page.getByLabel("New todo").fill(title);
  await page.getByRole("button", { name: "Add", exact: true }).click();
}

test("a submission does not navigate", async ({ page, open }) => {
  await open("/");
  await page.evaluate(() => ((window as unknown as { marker: number }).marker = 1));
  const request = page.waitForRequest("**/api/add_todo");
  const title = unique("No reload");
  await typeTodo(page, title);
  expect((await request).headers()["x-isoform"]).toBe("1");
  await expect(listed(page, title)).toHaveCount(1);
  expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(1);
});

test("three rapid adds show three pending items, then the refreshed list", async ({ page, open }) => {
  await open("/");
  const release = await hold(page, "/api/add_todo");
  const titles = [unique("Rapid 1"), unique("Rapid 2"), unique("Rapid 3")];
  for (const t of titles) await typeTodo(page, t);
  await expect(pending(page)).toHaveCount(3);
  for (const [i, t] of titles.entries()) {
    await expect(pending(page).nth(i)).toHaveAttribute("data-isoform-state", "pending");
    await expect(pending(page).nth(i)).toContainText(t);
  }
  await expect(page.getByLabel("New todo")).toHaveValue(""); // ready for the next one
  await release();
  for (const t of titles) await expect(listed(page, t)).toHaveCount(1);
  await expect(pending(page)).toHaveCount(0);
});

test("a pending action form is busy, its button enabled and keeping focus (a second click is ignored)", async ({ page, open }) => {
  await open("/");
  const title = unique("Busy");
  await typeTodo(page, title);
  await expect(listed(page, title)).toHaveCount(1);
  const release = await hold(page, "/api/toggle_todo");
  await page.getByRole("button", { name: `Done: ${title}` }).click();
  const form = listed(page, title).locator("form[data-isoform=toggle_todo]");
  await expect(form).toHaveAttribute("aria-busy", "true");
  // Not disabled: a disabled button drops keyboard focus to the page.
  await expect(form.getByRole("button")).toBeEnabled();
  await expect(form.getByRole("button")).toBeFocused();
  let sent = 0;
  page.on("request", (r) => void (r.url().endsWith("/api/toggle_todo") && sent++));
  await form.getByRole("button").click();
  await release();
  await expect(page.getByRole("button", { name: `Done: ${title}` })).toHaveAttribute("aria-pressed", "true");
  expect(sent).toBe(0);
});

test("cancel aborts a held-back submission and nothing is added", async ({ page, open }) => {
  await open("/");
  const release = await hold(page, "/api/add_todo");
  const title = unique("Canceled");
  await typeTodo(page, title);
  const item = pending(page).filter({ hasText: title });
  await item.getByRole("button", { name: "Cancel" }).click();
  await expect(item).toHaveAttribute("data-isoform-state", "canceled");
  await release();
  await page.reload({ waitUntil: "domcontentloaded" });
  await expect(listed(page, title)).toHaveCount(0);
});

test("a failed submission keeps its input and can be retried", async ({ page, open }) => {
  await open("/");
  const fail = await hold(page, "/api/add_todo");
  const title = unique("Retry me");
  await typeTodo(page, title);
  await fail((route) =>
    route.fulfill({ status: 500, contentType: "application/json", body: JSON.stringify({ error: { type: "ServerError", message: "Internal error" } }) }),
  );
  const item = pending(page).filter({ hasText: title });
  await expect(item).toHaveAttribute("data-isoform-state", "error");
  await expect(item).toContainText("Internal error");
  await expect(page.locator("[data-isoform-live]")).toHaveText("Internal error");
  await item.getByRole("button", { name: `Retry “${title}”`, exact: true }).click();
  await expect(listed(page, title)).toHaveCount(1);
  await expect(item).toHaveCount(0);
});

test("a network failure is reported with the input kept", async ({ page, open }) => {
  await open("/");
  await page.route("**/api/add_todo", (route) => route.abort("internetdisconnected"));
  const title = unique("Offline");
  await typeTodo(page, title);
  const item = pending(page).filter({ hasText: title });
  await expect(item).toHaveAttribute("data-isoform-state", "error");
  await expect(item).toContainText("Network error");
  await page.unroute("**/api/add_todo");
  await item.getByRole("button", { name: "Retry" }).click();
  await expect(listed(page, title)).toHaveCount(1);
});

test("a validation error focuses the error summary, whose link reaches the field; it is said once, and the title says Error", async ({ page, open }) => {
  await open("/");
  await typeTodo(page, "  ");
  const field = page.getByLabel("New todo");
  const summary = page.locator("#add-todo .isoform-summary");
  await expect(summary).toBeFocused();
  await expect(summary.getByRole("link", { name: "Title is required" })).toBeVisible();
  await expect(field).toHaveAttribute("aria-invalid", "true");
  await expect(page).toHaveTitle(/^Error: /);
  // The summary and the field's description read the error: the live region does not repeat it.
  await expect(page.locator("[data-isoform-live]")).toHaveText("");
  await expect(page.locator("[data-isoform-live]")).toHaveAttribute("role", "status");
  await summary.getByRole("link", { name: "Title is required" }).click();
  await expect(field).toBeFocused();
  // Fixing it clears the error, the summary and the title's prefix on success.
  const title = unique("Fixed");
  await field.fill(title);
  await page.getByRole("button", { name: "Add", exact: true }).click();
  await expect(listed(page, title)).toHaveCount(1);
  await expect(page.locator("#isoform-add_todo--title")).toBeHidden();
  await expect(summary).toBeHidden();
  await expect(page).not.toHaveTitle(/^Error: /);
  await expect(field).not.toHaveAttribute("aria-invalid", "true");
  await expect(page.locator("[data-isoform-live]")).toHaveText(`“${title}” added`);
});

test("a redirect from the handler is followed", async ({ page, open }) => {
  await open("/profile");
  await page.getByLabel("Name").fill(unique("Redirected"));
  await page.getByLabel("Email").fill("r@example.com");
  await page.getByLabel("City").fill("Paris");
  await page.getByLabel(/^Password/).fill("long enough");
  const request = page.waitForRequest("**/api/update_profile");
  await page.getByRole("button", { name: "Save profile" }).click();
  expect((await request).headers()["x-isoform"]).toBe("1");
  await expect(page).toHaveURL(/\/profile\?saved=1$/);
  await expect(page.locator(".isoform-notice")).toHaveText("Profile saved.");
});

test("a listener that cancels isoform:submit stops the request", async ({ page, open }) => {
  await open("/");
  await page.evaluate(() => document.addEventListener("isoform:submit", (e) => e.preventDefault(), { once: true }));
  let sent = 0;
  page.on("request", (r) => void (r.url().endsWith("/api/add_todo") && sent++));
  await typeTodo(page, unique("Stopped"));
  await expect(page.getByLabel("New todo")).not.toHaveValue("");
  await page.waitForTimeout(300); // give a wrongly sent request time to show up
  expect(sent).toBe(0);
  await expect(pending(page)).toHaveCount(0);
});

test("events carry name, input, value and version", async ({ page, open }) => {
  await open("/");
  const events = page.evaluate(
    () =>
      new Promise<{ type: string; name: string; title: unknown; version: number; value: unknown }[]>((resolve) => {
        const seen: { type: string; name: string; title: unknown; version: number; value: unknown }[] = [];
        for (const type of ["submit", "pending", "success", "done"]) {
          document.addEventListener(`isoform:${type}`, (e) => {
            const d = (e as CustomEvent).detail;
            seen.push({ type, name: d.name, title: d.input.title, version: d.version, value: d.value?.title });
            if (type === "done") resolve(seen);
          });
        }
      }),
  );
  const title = unique("Evented");
  await typeTodo(page, title);
  expect(await events).toEqual([
    { type: "submit", name: "add_todo", title, version: 0, value: undefined },
    { type: "pending", name: "add_todo", title, version: 0, value: undefined },
    { type: "success", name: "add_todo", title, version: 1, value: title },
    { type: "done", name: "add_todo", title, version: 1, value: title },
  ]);
});

test("a toggle from the keyboard keeps focus on its button, through the list's refresh", async ({ page, open }) => {
  await open("/");
  const title = unique("Keyboard");
  await typeTodo(page, title);
  await expect(listed(page, title)).toHaveCount(1);
  const toggle = page.getByRole("button", { name: `Done: ${title}` });
  await toggle.focus();
  await page.keyboard.press("Enter");
  await expect(toggle).toHaveAttribute("aria-pressed", "true");
  await expect(toggle).toBeFocused();
});

test("a double click on Add adds once, with no false error", async ({ page, open }) => {
  await open("/");
  const title = unique("Double");
  await page.getByLabel("New todo").fill(title);
  await page.getByRole("button", { name: "Add", exact: true }).dblclick();
  await expect(listed(page, title)).toHaveCount(1);
  await expect(page.locator("#isoform-add_todo--title")).toBeHidden();
  await expect(page.getByLabel("New todo")).not.toHaveAttribute("aria-invalid", "true");
});

test("a delete from the keyboard leaves focus on the list's heading, not the page", async ({ page, open }) => {
  await open("/");
  const title = unique("Keyboard delete");
  await typeTodo(page, title);
  await expect(listed(page, title)).toHaveCount(1);
  await page.getByRole("button", { name: `Delete: ${title}` }).focus();
  await page.keyboard.press("Enter");
  await expect(listed(page, title)).toHaveCount(0);
  await expect(page.locator("#list-heading")).toBeFocused();
});
