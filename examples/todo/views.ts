import { fileURLToPath } from "node:url";
import { Eta } from "eta";
import { loadPartials } from "isoform";

/** The demo's eta views; escaped by default (`<%= %>`), raw only for helper markup (`<%~ %>`). */
export const views = new Eta({
  views: fileURLToPath(new URL("./views/", import.meta.url)),
  cache: process.env.NODE_ENV === "production",
});
// isoform's partials (error summary, field, pending item…) as @isoform/<name>.
loadPartials(views);
