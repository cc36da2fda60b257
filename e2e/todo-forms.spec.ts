import { test, expect, unique } from "./fixtures.js";

// The todo page's forms, run with JavaScript off, on, and with the client script held back:
// every assertion holds whether the submission navigated (PRG) or was enhanced (fetch).

const todo = (page: import("@playwright/test").Page, title: string) => page.locator(".todos li", { hasText: title });

async function add(page: import("@playwright/test").Page, title: string) {
  await page.getByLabel("New todo").fill(title);
  await page.getByRole("button", { name: "Add", exact: true }).click();
  await expect(todo(page, title)).toHaveCount(1);
}

test("adds a todo", async ({ page, open }) => {
  await open("/");
  const title = unique("Buy milk");
  await add(page, title);
  await expect(todo(page, title).locator(".title")).toHaveText(title);
});

test("an empty title shows the error next to the field and keeps what was typed", async ({ page, open }) => {
  await open("/");
  const field = page.getByLabel("New todo");
  await field.fill("   ");
  await page.getByRole("button", { name: "Add", exact: true }).click();
  const error = page.locator("#isoform-add_todo--title");
  await expect(error).toHaveText("Title is required");
  await expect(error).toBeVisible();
  await expect(field).toHaveAttribute("aria-invalid", "true");
  await expect(field).toHaveAttribute("aria-describedby", "isoform-add_todo--title");
  await expect(field).toHaveValue("   ");
});

test("a 50 KB title comes back intact with a too-long error", async ({ page, open }) => {
  await open("/");
  const long = unique("long") + " " + "abcdefghij".repeat(5_000);
  const field = page.getByLabel("New todo");
  await field.fill(long);
  await page.getByRole("button", { name: "Add", exact: true }).click();
  await expect(page.locator("#isoform-add_todo--title")).toHaveText(/Title is too long/);
  const kept = await field.inputValue();
  expect(kept.length).toBe(long.length);
  expect(kept).toBe(long);
  await expect(todo(page, long.slice(0, 40))).toHaveCount(0);
});

test("toggles a todo done and back", async ({ page, open }) => {
  await open("/");
  const title = unique("Toggle me");
  await add(page, title);
  const button = page.getByRole("button", { name: `Done: ${title}` });
  await expect(button).toHaveAttribute("aria-pressed", "false");
  await button.click();
  await expect(page.getByRole("button", { name: `Done: ${title}` })).toHaveAttribute("aria-pressed", "true");
  await expect(todo(page, title)).toHaveClass(/done/);
  await page.getByRole("button", { name: `Done: ${title}` }).click();
  await expect(page.getByRole("button", { name: `Done: ${title}` })).toHaveAttribute("aria-pressed", "false");
});

test("deleting the second of three todos removes only that one", async ({ page, open }) => {
  await open("/");
  const titles = [unique("First"), unique("Second"), unique("Third")];
  for (const t of titles) await add(page, t);
  await page.getByRole("button", { name: `Delete: ${titles[1]}` }).click();
  await expect(todo(page, titles[1])).toHaveCount(0);
  await expect(todo(page, titles[0])).toHaveCount(1);
  await expect(todo(page, titles[2])).toHaveCount(1);
});

test("reloading after a submission neither re-submits nor shows the outcome again", async ({ page, open, scriptMode }) => {
  await open("/");
  const title = unique("Once");
  await add(page, title);
  if (scriptMode !== "on") await expect(page.locator(".isoform-notice")).toContainText(title); // the PRG outcome, shown once
  await page.reload({ waitUntil: "domcontentloaded" });
  await expect(todo(page, title)).toHaveCount(1);
  await expect(page.locator(".isoform-notice")).toHaveCount(0);
});

test("toggling a todo deleted in another tab says it no longer exists", async ({ page, open, context, scriptMode }) => {
  await open("/");
  const title = unique("Vanishing");
  await add(page, title);
  const other = await context.newPage();
  await other.goto("/");
  await other.getByRole("button", { name: `Delete: ${title}` }).click();
  await expect(todo(other, title)).toHaveCount(0);
  await other.close();

  await page.getByRole("button", { name: `Done: ${title}` }).click();
  // Enhanced, the error is announced and shown in the row, which stays (a refresh would wipe
  // the explanation), focus staying on its button; without the script, the page after the
  // redirect shows it above the list, focused, and the todo is gone from the list.
  if (scriptMode === "on") {
    await expect(page.locator("[data-isoform-live]")).toHaveText("That todo no longer exists");
    await expect(todo(page, title)).toContainText("That todo no longer exists");
    await expect(page.getByRole("button", { name: `Done: ${title}` })).toBeFocused();
  } else {
    await expect(page.getByRole("alert")).toHaveText("That todo no longer exists");
    await expect(page.getByRole("alert")).toBeFocused();
    await expect(page).toHaveTitle(/^Error: /);
    await expect(todo(page, title)).toHaveCount(0);
  }
});
