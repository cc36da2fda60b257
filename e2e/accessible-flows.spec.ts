import type { Page } from "@playwright/test";
import { hold } from "./support/hold.js";
import { test, expect, unique } from "./fixtures.js";

// What a keyboard and screen-reader user meets on the demo, in each mode where it applies:
// the error summary, notices and announcements that say what happened, focus that never
// falls to the page, the list refreshed with or without htmx, and nothing lost on leaving.

const listed = (page: Page, title: string) => page.locator(".todos li", { hasText: title });
const pending = (page: Page) => page.locator("#pending-todos li");
const live = (page: Page) => page.locator("[data-isoform-live]");

async function typeTodo(page: Page, title: string) {
  await page.getByLabel("New todo").fill(title);
  await page.getByRole("button", { name: "Add", exact: true }).click();
}

/** Focus is on an element of the page, not on the page itself. */
async function expectFocusKept(page: Page) {
  await expect.poll(() => page.evaluate(() => document.activeElement?.tagName ?? "none")).not.toMatch(/^(BODY|none)$/);
}


test.describe("in every mode", () => {
  test("an empty add opens the error summary, focused, whose link reaches the field; the title says Error", async ({ page, open }) => {
    await open("/");
    await typeTodo(page, " ");
    const summary = page.locator("#add-todo .isoform-summary");
    await expect(summary).toBeVisible();
    await expect(summary).toBeFocused();
    await expect(summary.getByRole("heading", { name: "There is a problem" })).toBeVisible();
    await expect(page).toHaveTitle(/^Error: Todos/);
    // The field keeps its own error, tied to it.
    await expect(page.getByLabel("New todo")).toHaveAttribute("aria-invalid", "true");
    await summary.getByRole("link", { name: "Title is required" }).click();
    await expect(page.getByLabel("New todo")).toBeFocused();
  });

  test("the profile's summary lists every error, each link reaching its field", async ({ page, open }) => {
    await open("/profile");
    await page.getByLabel("Name").fill("");
    await page.getByLabel("Email").fill("not an email");
    await page.getByLabel("City").fill("");
    await page.getByRole("button", { name: "Save profile" }).click();
    const summary = page.locator("#profile-form .isoform-summary");
    await expect(summary).toBeFocused();
    await expect(page).toHaveTitle(/^Error: Profile/);
    const links = summary.getByRole("link");
    await expect(links.filter({ hasText: "Name is required" })).toHaveCount(1);
    await links.filter({ hasText: "Enter an email address" }).click();
    await expect(page.getByLabel("Email")).toBeFocused();
    await expect(page.getByLabel("Email")).toHaveValue("not an email"); // nothing typed is lost
    await links.filter({ hasText: "City is required" }).click();
    await expect(page.getByLabel("City")).toBeFocused();
  });

  test("add, toggle and delete each say what they did, naming the todo, and focus never falls to the page", async ({ page, open, scriptMode }) => {
    await open("/");
    const title = unique("Announced");
    // Without the script the page after the redirect opens on a notice, focused so it is
    // read; with it the live region says the same words.
    const said = (text: string) =>
      scriptMode === "on" ? expect(live(page)).toHaveText(text) : Promise.all([expect(page.locator(".isoform-notice")).toHaveText(text), expect(page.locator(".isoform-notice")).toBeFocused()]);

    await typeTodo(page, title);
    await expect(listed(page, title)).toHaveCount(1);
    await said(`“${title}” added`);
    await expectFocusKept(page);

    await page.getByRole("button", { name: `Done: ${title}` }).click();
    await expect(page.getByRole("button", { name: `Done: ${title}` })).toHaveAttribute("aria-pressed", "true");
    await said(`“${title}” marked done`);
    await expectFocusKept(page);
    if (scriptMode === "on") await expect(page.getByRole("button", { name: `Done: ${title}` })).toBeFocused();

    await page.getByRole("button", { name: `Done: ${title}` }).click();
    await expect(page.getByRole("button", { name: `Done: ${title}` })).toHaveAttribute("aria-pressed", "false");
    await said(`“${title}” marked not done`);

    await page.getByRole("button", { name: `Delete: ${title}` }).click();
    await expect(listed(page, title)).toHaveCount(0);
    await said(`“${title}” deleted`);
    await expectFocusKept(page);
    if (scriptMode === "on") await expect(page.locator("#list-heading")).toBeFocused();
  });

  test("Back to a page with a refused submission still shows what was typed", async ({ page, open, scriptMode }) => {
    test.skip(scriptMode === "on", "with the script a refused submission does not leave the page");
    test.skip(scriptMode === "delayed", "Playwright turns the HTTP cache off in a page with routes, which is how this mode holds the script back; js-off shows it");
    await open("/");
    const typed = "x".repeat(201); // over the 200-character limit
    await typeTodo(page, typed);
    await expect(page.locator("#isoform-add_todo--title")).toContainText("Title is too long");
    await page.getByRole("link", { name: "Profile" }).click();
    await expect(page).toHaveURL(/\/profile$/);
    await page.goBack({ waitUntil: "domcontentloaded" }); // a held-back script delays "load"
    await expect(page.getByLabel("New todo")).toHaveValue(typed);
    await expect(page.locator("#isoform-add_todo--title")).toContainText("Title is too long");
  });
});

test.describe("with the script", () => {
  test.beforeEach(({ scriptMode }) => {
    test.skip(scriptMode !== "on", "needs the client script loaded");
  });

  test("cancel, retry, a failure, dismiss and a retried success: each item named, labelled by state, focus handed on", async ({ page, open }) => {
    await open("/");
    let release = await hold(page, "/api/add_todo");
    const title = unique("Handed on");
    await typeTodo(page, title);
    const item = pending(page).filter({ hasText: title });
    await expect(item).toHaveAttribute("data-isoform-state", "pending");
    await expect(item).toContainText("Adding…");
    const cancel = item.getByRole("button", { name: `Cancel “${title}”`, exact: true });
    const retry = item.getByRole("button", { name: `Retry “${title}”`, exact: true });
    const dismiss = item.getByRole("button", { name: `Dismiss “${title}”`, exact: true });
    await cancel.click();
    await expect(item).toHaveAttribute("data-isoform-state", "canceled");
    await expect(item).toContainText("Canceled");
    await expect(retry).toBeFocused();
    await release();

    release = await hold(page, "/api/add_todo");
    await retry.click();
    await expect(item).toHaveAttribute("data-isoform-state", "pending");
    await expect(cancel).toBeFocused();
    await release((route) => route.fulfill({ status: 500, contentType: "application/json", body: JSON.stringify({ error: { type: "ServerError", message: "Internal error" } }) }));
    await expect(item).toHaveAttribute("data-isoform-state", "error");
    await expect(item).toContainText("Not saved:");
    await expect(item).toContainText("Internal error");
    await expect(dismiss).toBeVisible();
    await expectFocusKept(page);

    // A retried success: the item goes once the list shows the todo, focus back to the form.
    await retry.click();
    await expect(listed(page, title)).toHaveCount(1);
    await expect(item).toHaveCount(0);
    await expect(page.getByLabel("New todo")).toBeFocused();

    // A failure dismissed: gone, focus back to the form.
    release = await hold(page, "/api/add_todo");
    const other = unique("Dismissed");
    await typeTodo(page, other);
    await release((route) => route.abort("internetdisconnected"));
    const failed = pending(page).filter({ hasText: other });
    await expect(failed).toHaveAttribute("data-isoform-state", "error");
    await failed.getByRole("button", { name: `Dismiss “${other}”`, exact: true }).click();
    await expect(failed).toHaveCount(0);
    await expect(page.getByLabel("New todo")).toBeFocused();
  });

  test("the pending list is aria-busy while a submission runs", async ({ page, open }) => {
    await open("/");
    const release = await hold(page, "/api/add_todo");
    await typeTodo(page, unique("Busy list"));
    await expect(page.locator("#pending-todos")).toHaveAttribute("aria-busy", "true");
    await release();
    await expect(page.locator("#pending-todos")).toHaveAttribute("aria-busy", "false");
  });

  test("the added todo is shown somewhere at every moment: its pending item stays until the refreshed list (held back 1 s) holds it", async ({ page, open }) => {
    await open("/");
    await page.route("**/api/list_todos*", async (route) => {
      await new Promise((r) => setTimeout(r, 1000));
      await route.continue().catch(() => {});
    });
    const title = unique("Never hidden");
    // Sampled in the page, every animation frame, from the submit until the list has it.
    const watch = page.evaluate(
      (t) =>
        new Promise<{ frames: number; missing: number }>((resolve) => {
          let frames = 0;
          let missing = 0;
          const inList = () => [...document.querySelectorAll(".todos li")].some((li) => li.textContent!.includes(t));
          const inPending = () => [...document.querySelectorAll("#pending-todos li")].some((li) => li.textContent!.includes(t));
          const started = performance.now();
          const tick = () => {
            const seen = inPending() || inList();
            if (frames > 0 || seen) {
              frames++;
              if (!seen) missing++;
            }
            if ((inList() && !inPending()) || performance.now() - started > 10_000) resolve({ frames, missing });
            else requestAnimationFrame(tick);
          };
          tick();
        }),
      title,
    );
    await typeTodo(page, title);
    await expect(pending(page).filter({ hasText: title })).toHaveAttribute("data-isoform-state", "success");
    await expect(listed(page, title)).toHaveCount(0); // the refresh is still held back
    const { frames, missing } = await watch;
    expect(frames).toBeGreaterThan(10);
    expect(missing).toBe(0);
    await expect(listed(page, title)).toHaveCount(1);
    await expect(pending(page)).toHaveCount(0);
  });

  test("with htmx blocked, isoform's script refreshes the list itself, keeping focus", async ({ page, open }) => {
    await page.route("**/vendor/htmx.min.js", (route) => route.abort());
    await open("/");
    expect(await page.evaluate(() => "htmx" in window)).toBe(false);
    const title = unique("No htmx");
    await typeTodo(page, title);
    await expect(listed(page, title)).toHaveCount(1);
    await expect(pending(page)).toHaveCount(0);
    await page.getByRole("button", { name: `Done: ${title}` }).click();
    await expect(page.getByRole("button", { name: `Done: ${title}` })).toHaveAttribute("aria-pressed", "true");
    await expect(page.getByRole("button", { name: `Done: ${title}` })).toBeFocused();
  });

  test("with htmx loaded after isoform's script, the list still refreshes", async ({ page }) => {
    const release = await hold(page, "/vendor/htmx.min.js");
    // htmx is a deferred script: held, it holds DOMContentLoaded back too.
    await page.goto("/", { waitUntil: "commit" });
    await page.waitForFunction(() => document.documentElement.hasAttribute("data-isoform-ready"));
    expect(await page.evaluate(() => "htmx" in window)).toBe(false);
    await release();
    await page.waitForFunction(() => "htmx" in window);
    const title = unique("Late htmx");
    await typeTodo(page, title);
    await expect(listed(page, title)).toHaveCount(1);
    await expect(pending(page)).toHaveCount(0);
  });

  test("leaving the page while a submission is on its way asks first; with nothing pending it does not", async ({ page, open, context }) => {
    await open("/");
    const release = await hold(page, "/api/add_todo");
    await typeTodo(page, unique("Unsaved"));
    await expect(pending(page)).toHaveCount(1);
    const dialog = page.waitForEvent("dialog");
    await page.close({ runBeforeUnload: true });
    const d = await dialog;
    expect(d.type()).toBe("beforeunload");
    await d.dismiss(); // stay
    expect(page.isClosed()).toBe(false);
    await release();
    await expect(pending(page)).toHaveCount(0);

    const calm = await context.newPage();
    await calm.goto("/");
    await calm.waitForFunction(() => document.documentElement.hasAttribute("data-isoform-ready"));
    let asked = false;
    calm.on("dialog", (x) => {
      asked = true;
      void x.accept();
    });
    await calm.getByLabel("New todo").click(); // a user gesture, without which no page may ask
    await calm.close({ runBeforeUnload: true });
    await expect.poll(() => calm.isClosed()).toBe(true);
    expect(asked).toBe(false);
  });
});
