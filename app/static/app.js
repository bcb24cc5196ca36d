// Progressive enhancement only: every page works without this file.
document.addEventListener("DOMContentLoaded", () => {
  // After a failed submit, put the keyboard where the first problem is.
  const invalid = document.querySelector("[aria-invalid='true']");
  if (invalid) invalid.focus();
});

// "Copy" buttons next to read-only fields (feed addresses).
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const field = document.getElementById(button.dataset.copy);
  field.select();
  navigator.clipboard?.writeText(field.value).then(() => {
    button.textContent = button.dataset.copied || "Copied";
  });
});

// A choice that changes what the rest of the form offers (the wizard's branch: its rooms and
// opening hours) reloads the step through its own submit button, which works without this.
document.addEventListener("change", (event) => {
  const select = event.target.closest("select[data-submit-on-change]");
  const button = select && document.getElementById(select.dataset.submitOnChange);
  if (!button || select.value === select.dataset.shown) return;
  select.form.requestSubmit(button);
});

// "Mark all present" on an attendance sheet: tick the radios here instead of a round trip,
// and say (as the page does without JavaScript) that nothing is saved until "Save".
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-mark-all]");
  const sheet = button && document.getElementById(button.dataset.markAll);
  if (!sheet) return;
  event.preventDefault();
  sheet.querySelectorAll("input[type=radio][value=present]").forEach((radio) => {
    radio.checked = true;
  });
  const notice = document.getElementById(button.dataset.unsaved);
  if (notice) notice.textContent = notice.dataset.text;
});

// What folds away on a phone: the width where the stylesheet switches to the phone layout.
const PHONE = window.matchMedia("(max-width: 40rem)");

// Filter panels are open in the page (so they work without this file); a phone folds them.
document.querySelectorAll("details[data-fold-on-phone]").forEach((panel) => {
  if (PHONE.matches) panel.open = false;
});

// The "Manage" group of the navigation: its own row on a desktop; on a phone, folded behind a
// button (the stylesheet hides the list while the group is folded, on a phone only).
document.querySelectorAll("[data-fold-menu]").forEach((group) => {
  const label = group.querySelector(".nav-group-label");
  const list = group.querySelector("ul[id]");
  if (!label || !list) return;
  const button = document.createElement("button");
  button.type = "button";
  button.className = "nav-toggle";
  button.append(Object.assign(document.createElement("span"), { textContent: label.textContent }));
  button.setAttribute("aria-controls", list.id);
  button.setAttribute("aria-expanded", "false");
  if (list.querySelector("[aria-current]")) button.classList.add("has-current");
  group.classList.add("is-folded");
  group.insertBefore(button, label);
  button.addEventListener("click", () => {
    const folded = group.classList.toggle("is-folded");
    button.setAttribute("aria-expanded", String(!folded));
  });
});

// Wide tables scroll inside their box (the stylesheet shades the edge with more to see). Say
// so in words above it, and keep the box in the tab order only while it really scrolls.
const fitTable = (box) => {
  const scrolls = box.scrollWidth > box.clientWidth + 1;
  box.classList.toggle("scrolls", scrolls);
  if (scrolls) box.setAttribute("tabindex", "0");
  else box.removeAttribute("tabindex");
  let hint = box.previousElementSibling;
  if (!hint || !hint.classList.contains("scroll-hint")) {
    if (!scrolls) return;
    hint = document.createElement("p");
    hint.className = "scroll-hint";
    hint.setAttribute("aria-hidden", "true");
    hint.textContent = box.dataset.scrollHint;
    box.before(hint);
  }
  hint.hidden = !scrolls;
};
const tables = document.querySelectorAll(".table-wrap[data-scroll-hint]");
if ("ResizeObserver" in window) {
  const observer = new ResizeObserver((entries) => {
    entries.forEach((entry) => fitTable(entry.target.closest(".table-wrap")));
  });
  tables.forEach((box) => {
    observer.observe(box);
    if (box.firstElementChild) observer.observe(box.firstElementChild);
  });
} else {
  tables.forEach(fitTable);
}

// "Print" buttons (learning records, certificates, the impact report): hidden in the page
// until this file can make them work; the stylesheet's print section does the rest.
document.querySelectorAll("[data-print]").forEach((button) => {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
});
