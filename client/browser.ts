// Entry of the browser bundle: enhances the page's forms and marks the document, so pages
// (and tests) can tell the script has run.
import { enhance } from "./enhance.js";

enhance();
document.documentElement.setAttribute("data-isoform-ready", "");
