// Small enhancements; every page works without them.
"use strict";

// Copy buttons: <button data-copy="TEXT" hidden> is shown only where copying can work.
document.addEventListener("DOMContentLoaded", () => {
  if (!navigator.clipboard) return;
  for (const button of document.querySelectorAll("[data-copy]")) {
    button.hidden = false;
    button.addEventListener("click", async () => {
      await navigator.clipboard.writeText(button.dataset.copy);
      const label = button.textContent;
      button.textContent = button.dataset.copied || "✓";
      setTimeout(() => { button.textContent = label; }, 1500);
    });
  }
});
