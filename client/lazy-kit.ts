import type { Kit } from "./enhance.js";

/**
 * What the lazy chunks (client/feedback.ts, client/form-errors.ts) use from the core script,
 * handed over by it when a chunk loads. Imported instead, the core's modules would move into
 * a chunk shared by both: one more request for every page.
 */
export let kit: Kit;

export function useKit(from: Kit): void {
  kit = from;
}
