import { test, expect, unique } from "./fixtures.js";

// The user acts before the client script has loaded: the form takes the no-JS path and
// nothing is lost; once the script arrives, the next submission is enhanced.
test("a submission before the script loads completes, and the next one is enhanced", async ({ page, open, releaseScript, scriptMode }) => {
  test.skip(scriptMode !== "delayed", "holds the client script back");
  await open("/");
  const first = unique("Before script");
  await page.getByLabel("New todo").fill(first);
  await page.getByRole("button", { name: "Add", exact: true }).click();
  await expect(page.locator(".todos li", { hasText: first })).toHaveCount(1);
  expect(await page.evaluate(() => document.documentElement.hasAttribute("data-isoform-ready"))).toBe(false);

  await releaseScript();
  await page.waitForFunction(() => document.documentElement.hasAttribute("data-isoform-ready"));
  await page.evaluate(() => ((window as unknown as { marker: number }).marker = 1));
  const second = unique("After script");
  await page.getByLabel("New todo").fill(second);
  await page.getByRole("button", { name: "Add", exact: true }).click();
  await expect(page.locator(".todos li", { hasText: second })).toHaveCount(1);
  expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(1);
});
