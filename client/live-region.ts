/** Announces an outcome to screen readers through one polite live region on the page. */
export function announce(text: string): void {
  let region = document.querySelector<HTMLElement>("[data-isoform-live]");
  if (!region) {
    region = document.createElement("div");
    region.setAttribute("role", "status");
    region.setAttribute("aria-live", "polite");
    region.setAttribute("data-isoform-live", "");
    // Visually hidden but read aloud; pages may style [data-isoform-live] to show it.
    region.style.cssText = "position:fixed;width:1px;height:1px;overflow:hidden;clip-path:inset(50%)";
    document.body.append(region);
  }
  region.textContent = text;
}
