// Small progressive enhancements; every page works without them.
document.addEventListener("htmx:responseError", (event) => {
  const box = document.querySelector("[data-htmx-error]");
  if (box) {
    box.textContent = "The page could not be updated (" + event.detail.xhr.status + "). Reload and try again.";
    box.hidden = false;
  }
});
