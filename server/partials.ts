import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The eta partials isoform ships (`views/`, docs/markup.md): the error summary, a field with
 * its label, hint and error, the live region, and a multi-action form's submission template.
 * Found beside this module once compiled (`dist/server/`), or in the repository (`server/`).
 */
export const PARTIALS_DIR = fileURLToPath(new URL(import.meta.url.includes("/dist/server/") ? "../../views/" : "../views/", import.meta.url));

/** What `loadPartials` needs of a template engine: eta's `loadTemplate`. */
export interface PartialLoader {
  loadTemplate(name: string, template: string): void;
}

/**
 * Registers isoform's partials with an eta instance as `@isoform/<name>`, so a view includes
 * them by that name whatever its own views folder: `include("@isoform/field", { … })`.
 */
export function loadPartials(eta: PartialLoader): void {
  for (const file of readdirSync(PARTIALS_DIR)) {
    if (file.endsWith(".eta")) eta.loadTemplate(`@isoform/${file.slice(0, -4)}`, readFileSync(join(PARTIALS_DIR, file), "utf8"));
  }
}
