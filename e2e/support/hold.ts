import { expect, type Page, type Route } from "@playwright/test";

/** Holds every request to `path` until the returned function is called; it answers them with `how` (default: sent on). */
export async function hold(page: Page, path: string): Promise<(how?: (route: Route) => Promise<void>) => Promise<void>> {
  const held: Route[] = [];
  await page.route(`**${path}`, (route) => void held.push(route));
  return async (how = (route) => route.continue()) => {
    // The request may still be on its way (the script sends it a moment after the click):
    // answering before it is held would let it through unanswered by `how`.
    await expect.poll(() => held.length, { message: `a request to ${path} to hold` }).toBeGreaterThan(0);
    // Answer the held requests first: unrouting lets pending ones through unanswered.
    await Promise.all(held.splice(0).map((r) => how(r).catch(() => {})));
    await page.unroute(`**${path}`);
  };
}
