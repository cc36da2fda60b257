import AxeBuilder from "@axe-core/playwright";
import type { Page } from "@playwright/test";
import { test, expect, unique, type ScriptMode } from "./fixtures.js";

// axe-core finds no violations on each page in each state a user can reach in this mode.
// Each test runs axe three times, about 4 s each on a busy 2-core machine: more time.
test.describe.configure({ timeout: 90_000 });
async function expectNoViolations(page: Page, state: string, scriptMode: ScriptMode) {
  const target = scriptMode === "off" ? await analyzable(page) : page;
  const { violations } = await new AxeBuilder({ page: target }).analyze();
  if (target !== page) await target.context().close();
  expect(violations.map((v) => `${state}: ${v.id} — ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`)).toEqual([]);
}

/**
 * axe runs as a script in the page, which a page with JavaScript disabled cannot do: its
 * markup as the user sees it is analyzed in a second, script-enabled page instead (the
 * page's own scripts blocked, so it stays the no-JS page).
 */
async function analyzable(page: Page): Promise<Page> {
  const html = await page.content();
  const url = page.url();
  const context = await page.context().browser()!.newContext({ javaScriptEnabled: true });
  const copy = await context.newPage();
  await copy.route("**/*", (route) =>
    route.request().url() === url ? route.fulfill({ contentType: "text/html", body: html }) : route.abort(),
  );
  await copy.goto(url);
  return copy;
}

test("the todo page: empty, error and success states", async ({ page, open, scriptMode }) => {
  await open("/");
  await expectNoViolations(page, "empty", scriptMode);
  await page.getByLabel("New todo").fill(" ");
  await page.getByRole("button", { name: "Add", exact: true }).click();
  await expect(page.locator("#isoform-add_todo--title")).toBeVisible();
  await expectNoViolations(page, "error", scriptMode);
  const title = unique("Accessible");
  await page.getByLabel("New todo").fill(title);
  await page.getByRole("button", { name: "Add", exact: true }).click();
  await expect(page.locator(".todos li", { hasText: title })).toHaveCount(1);
  await expectNoViolations(page, "success", scriptMode);
});

test("the todo page while submissions are pending", async ({ page, open, scriptMode }) => {
  test.skip(scriptMode !== "on", "a pending state is only visible with the client script");
  await open("/");
  await page.route("**/api/add_todo", () => {}); // held: never answered during the check
  await page.getByLabel("New todo").fill(unique("Pending"));
  await page.getByRole("button", { name: "Add", exact: true }).click();
  await expect(page.locator("#pending-todos li")).toHaveAttribute("data-isoform-state", "pending");
  await expectNoViolations(page, "pending", scriptMode);
});

test("the todo page with a failed and a canceled submission in its list", async ({ page, open, scriptMode }) => {
  test.skip(scriptMode !== "on", "submissions in a list are only rendered by the client script");
  await open("/");
  let answer: ((how: "fail" | "hold") => void) | undefined;
  await page.route("**/api/add_todo", (route) => {
    answer = (how) => void (how === "fail" ? route.fulfill({ status: 500, contentType: "application/json", body: '{"error":{"type":"ServerError","message":"Internal error"}}' }) : undefined);
  });
  const failed = unique("Failed");
  await page.getByLabel("New todo").fill(failed);
  await page.getByRole("button", { name: "Add", exact: true }).click();
  await expect.poll(() => answer !== undefined).toBe(true);
  answer!("fail");
  await expect(page.locator("#pending-todos li", { hasText: failed })).toHaveAttribute("data-isoform-state", "error");
  const canceled = unique("Canceled");
  await page.getByLabel("New todo").fill(canceled);
  await page.getByRole("button", { name: "Add", exact: true }).click();
  await page.getByRole("button", { name: `Cancel “${canceled}”` }).click();
  await expect(page.locator("#pending-todos li", { hasText: canceled })).toHaveAttribute("data-isoform-state", "canceled");
  await expectNoViolations(page, "failed and canceled rows", scriptMode);
});

test("the profile page: empty, error and success states", async ({ page, open, scriptMode }) => {
  await open("/profile");
  await expectNoViolations(page, "empty", scriptMode);
  await page.getByLabel("Name").fill("");
  await page.getByRole("button", { name: "Save profile" }).click();
  await expect(page.locator("#isoform-update_profile--name")).toBeVisible();
  await expectNoViolations(page, "error", scriptMode);
  await page.getByLabel("Name").fill(unique("Axe"));
  await page.getByLabel("Email").fill("axe@example.com");
  await page.getByLabel("City").fill("Oslo");
  await page.getByLabel(/^Password/).fill("long enough");
  await page.getByRole("button", { name: "Save profile" }).click();
  await expect(page.locator(".isoform-notice")).toHaveText("Profile saved.");
  await expectNoViolations(page, "success", scriptMode);
});

test("the profile page while saving", async ({ page, open, scriptMode }) => {
  test.skip(scriptMode !== "on", "a pending state is only visible with the client script");
  await open("/profile");
  await page.route("**/api/update_profile", () => {});
  await page.getByRole("button", { name: "Save profile" }).click();
  await expect(page.locator("#profile-form")).toHaveAttribute("aria-busy", "true");
  await expectNoViolations(page, "pending", scriptMode);
});
