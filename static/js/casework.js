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

  // A create form's one-time token. The browser brings back what was typed on "back", but not
  // hidden values: keep the token of this page's last submission and put it back then, so that
  // "back" and "save" again sends the same token and the server saves once.
  const viaHistory = (performance.getEntriesByType("navigation")[0] || {}).type === "back_forward";
  for (const token of document.querySelectorAll("input[name=form_token]")) {
    const key = `form-token:${window.location.pathname}`;
    try {
      const kept = window.sessionStorage.getItem(key);
      if (viaHistory && kept) token.value = kept;
      token.form.addEventListener("submit", () => window.sessionStorage.setItem(key, token.value));
    } catch (error) {
      // No storage (private mode): the token of this page load still guards double taps.
    }
  }

  // The phone menu: one button opens the full list (every destination, no sideways scroll).
  for (const nav of document.querySelectorAll("[data-collapsible-nav]")) {
    const toggle = nav.querySelector(".mainnav__toggle");
    if (!toggle) continue;
    toggle.hidden = false;
    nav.classList.add("is-folding");
    toggle.addEventListener("click", () => {
      const open = nav.classList.toggle("is-open");
      toggle.setAttribute("aria-expanded", String(open));
    });
  }

  // Text areas with a limit count as she types (the server refuses, never cuts, a longer text).
  for (const counter of document.querySelectorAll("[data-counter-for]")) {
    const box = document.getElementById(counter.dataset.counterFor);
    if (!box) continue;
    const max = Number(box.dataset.maxlength);
    const update = () => {
      const n = box.value.length;
      counter.classList.toggle("counter--over", n > max);
      counter.textContent = n > max
        ? counter.dataset.over.replace("{over}", (n - max).toLocaleString())
        : counter.dataset.template.replace("{n}", n.toLocaleString()).replace("{max}", max.toLocaleString());
    };
    box.addEventListener("input", update);
    update();
  }

  const controlOf = (box) => box && box.querySelector("input:not([type=hidden]), select, textarea");
  const bringIn = (el) => el.scrollIntoView({ block: "center" });

  // A form shown again with errors: every error is on its field and listed at the top; the
  // first field in error comes into view with the focus. The list's links focus their field.
  const summary = document.querySelector("[data-error-summary]");
  const first = controlOf(document.querySelector("main .field--error"));
  if (first) {
    bringIn(first);
    first.focus({ preventScroll: true });
  } else if (summary) {
    summary.focus();
  }
  if (summary) {
    for (const link of summary.querySelectorAll("a[data-focus]")) {
      link.addEventListener("click", (event) => {
        const box = document.getElementById(link.dataset.focus);
        const target = box && (box.matches("input, select, textarea") ? box : controlOf(box));
        if (!target) return;
        event.preventDefault();
        bringIn(target);
        target.focus({ preventScroll: true });
      });
    }
  }

  // After an action the page opens at the section that changed (#needs...): its confirmation
  // moves there too, just above the section's heading, so it is seen where the eye is.
  const flashes = document.getElementById("flashes");
  const id = decodeURIComponent(window.location.hash.slice(1));
  const section = id && document.getElementById(id);
  if (flashes && flashes.children.length && section && !summary) {
    flashes.classList.add("flashes--moved");
    section.insertAdjacentElement("beforebegin", flashes);
    // The browser's own jump to #section keeps the message above it in view.
    section.style.scrollMarginTop = `${flashes.offsetHeight + 48}px`;
    section.scrollIntoView({ block: "start" });
    window.addEventListener("load", () => section.scrollIntoView({ block: "start" }));
  }
});
