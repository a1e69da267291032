// The main menu's <details> dropdowns open and close with a click, Enter or Space without any script.
// This adds what a menu is expected to do besides: one open at a time, Escape closes it and returns
// focus to its title, and a click or focus elsewhere closes it.
(function () {
  const openMenus = () => document.querySelectorAll(".mainnav details[open]");
  const closeOthers = (keep) => openMenus().forEach((menu) => { if (!menu.contains(keep)) menu.open = false; });
  document.addEventListener("toggle", (event) => {
    const menu = event.target;
    if (menu.matches && menu.matches(".mainnav details") && menu.open) closeOthers(menu);
  }, true);
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    const open = document.querySelector(".mainnav details[open]");
    if (open) {
      open.open = false;
      open.querySelector("summary").focus();
    }
  });
  document.addEventListener("click", (event) => closeOthers(event.target));
  document.addEventListener("focusin", (event) => closeOthers(event.target));

  // On a narrow screen the whole menu folds behind one button (orderloop.css), so a handheld keeps the
  // page for the work. Without this script the menu simply wraps.
  document.addEventListener("DOMContentLoaded", () => {
    const nav = document.querySelector(".mainnav");
    const toggle = nav && nav.querySelector(".menu-toggle");
    if (!toggle) return;
    nav.classList.add("menu-collapsible");
    toggle.hidden = false;
    toggle.addEventListener("click", () => {
      const open = nav.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  });
})();
