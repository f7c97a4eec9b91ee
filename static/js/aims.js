// Small progressive enhancements; every page works without them. No page carries inline script
// (Content-Security-Policy): behaviour hangs on data attributes, wired up here.
document.addEventListener("htmx:responseError", (event) => {
  const box = document.querySelector("[data-htmx-error]");
  if (box) {
    box.textContent = "The page could not be updated (" + event.detail.xhr.status + "). Reload and try again.";
    box.hidden = false;
  }
});

// Filter forms (data-drop-empty-params): leave empty filters out of the request, so the URL
// htmx pushes stays short and bookmarkable.
document.addEventListener("htmx:configRequest", (event) => {
  if (!(event.target instanceof Element) || !event.target.closest("[data-drop-empty-params]")) {
    return;
  }
  const parameters = event.detail.parameters;
  for (const key of Object.keys(parameters)) {
    if (parameters[key] === "") {
      delete parameters[key];
    }
  }
});

// Forms inside data-swap-400 answer a refused entry with 400 and the form showing its errors:
// swap that in like a success instead of treating it as a failure.
document.addEventListener("htmx:beforeSwap", (event) => {
  if (event.detail.xhr.status === 400 && event.target instanceof Element && event.target.closest("[data-swap-400]")) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
