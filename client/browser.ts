// Entry of the browser bundle. Marks the document so tests (and pages) can tell the script ran.
document.documentElement.setAttribute("data-isoform-ready", "");
