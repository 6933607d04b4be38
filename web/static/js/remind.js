// The supervisor's line lists: a refused reminder (4xx) answers in its own cell, with the
// reason, instead of being dropped by htmx (which swaps only 2xx answers by default).
document.addEventListener("htmx:beforeSwap", (e) => {
  const status = e.detail.xhr.status;
  const target = e.detail.target;
  if (status >= 400 && status < 500 && target && target.matches("[data-remind]")) {
    e.detail.shouldSwap = true;
    e.detail.isError = false;
  }
});
