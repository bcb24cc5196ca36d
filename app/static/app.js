// Progressive enhancement only: every page works without this file.
document.addEventListener("DOMContentLoaded", () => {
  // After a failed submit, put the keyboard where the first problem is.
  const invalid = document.querySelector("[aria-invalid='true']");
  if (invalid) invalid.focus();
});
