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

// "Mark all present" on an attendance sheet: tick the radios here instead of a round trip.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-mark-all]");
  const sheet = button && document.getElementById(button.dataset.markAll);
  if (!sheet) return;
  event.preventDefault();
  sheet.querySelectorAll("input[type=radio][value=present]").forEach((radio) => {
    radio.checked = true;
  });
});
