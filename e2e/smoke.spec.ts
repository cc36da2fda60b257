import { test, expect, unique } from "./fixtures.js";

test("the todo page renders and adds a todo", async ({ page, open }) => {
  await open("/");
  const title = unique("Smoke");
  await page.getByLabel("New todo").fill(title);
  await page.getByRole("button", { name: "Add" }).click();
  await expect(page.locator(".todos").getByText(title)).toBeVisible();
});
