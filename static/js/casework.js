// Small progressive enhancements; every page works without this file.
document.addEventListener("DOMContentLoaded", () => {
  // Buttons that need a confirmation carry data-confirm="question".
  for (const el of document.querySelectorAll("[data-confirm]")) {
    el.addEventListener("click", (event) => {
      if (!window.confirm(el.dataset.confirm)) event.preventDefault();
    });
  }
  // Print buttons.
  for (const el of document.querySelectorAll("[data-print]")) {
    el.addEventListener("click", () => window.print());
  }
});
