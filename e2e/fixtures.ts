import { test as base, expect, type Page } from "@playwright/test";
import { CLIENT_PATH } from "../protocol/wire.js";

/** How the client script reaches the page: not at all, normally, or held back until released. */
export type ScriptMode = "off" | "on" | "delayed";

interface Fixtures {
  scriptMode: ScriptMode;
  /** Set on a project that cannot run on this machine: each test is skipped with this reason. */
  unavailable: string | undefined;
  skipWhenUnavailable: void;
  /** Open a path and wait until the page is usable in this mode. */
  open(path: string): Promise<void>;
  /** In "delayed" mode: let the held-back client script load (a no-op otherwise). */
  releaseScript(): Promise<void>;
}

export const test = base.extend<Fixtures>({
  scriptMode: ["on", { option: true }],
  unavailable: [undefined, { option: true }],

  skipWhenUnavailable: [
    async ({ unavailable }, use, testInfo) => {
      testInfo.skip(unavailable !== undefined, unavailable);
      await use();
    },
    { auto: true },
  ],

  page: async ({ page, scriptMode }, use) => {
    if (scriptMode === "delayed") {
      // Hold every request for the client script until the test releases it; the user acts
      // on a page where the script has not run, exactly as on a slow network.
      // Once released, the script's lazy chunks (loaded after it runs) pass straight through.
      const held: (() => void)[] = [];
      let released = false;
      (page as PageWithRelease).__release = async () => {
        released = true;
        for (const go of held.splice(0)) go();
      };
      await page.route(`**${CLIENT_PATH}/**`, async (route) => {
        if (!released) await new Promise<void>((resolve) => held.push(resolve));
        await route.continue().catch(() => {}); // the page may have navigated away meanwhile
      });
    }
    await use(page);
  },

  open: async ({ page, scriptMode }, use) => {
    await use(async (path) => {
      // The script tag is `async`, so DOMContentLoaded does not wait for a held-back script.
      await page.goto(path, { waitUntil: "domcontentloaded" });
      if (scriptMode === "on") await page.waitForFunction(() => document.documentElement.hasAttribute("data-isoform-ready"));
    });
  },

  releaseScript: async ({ page }, use) => {
    await use(async () => {
      await (page as PageWithRelease).__release?.();
    });
  },
});

type PageWithRelease = Page & { __release?: () => Promise<void> };

/** A title no other test (or earlier run) uses, so tests can share one database. */
export function unique(prefix: string): string {
  return `${prefix} ${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
}

export { expect };
