// Keeps a server-rendered list current: the element marked data-live names an event
// stream; each "change" makes htmx fetch the list again (its hx-trigger="live-change").
// EventSource reconnects by itself after a lost connection.
(() => {
  const first = document.querySelector("[data-live]");
  if (!first || !("EventSource" in window)) return;
  const labels = document.getElementById("live-labels");
  const state = document.querySelector("[data-live-state]");
  const show = (on) => {
    if (state && labels) state.textContent = on ? labels.dataset.on : labels.dataset.off;
    document.body.dataset.stream = on ? "on" : "off";
  };
  const source = new EventSource(first.dataset.live);
  const refresh = () => {
    // the list is swapped whole: find it again each time; wait while someone types in it
    const list = document.querySelector("[data-live]");
    if (!list || !window.htmx) return;
    if (list.contains(document.activeElement) && document.activeElement.tagName !== "BUTTON") {
      setTimeout(refresh, 2000);
      return;
    }
    window.htmx.trigger(list, "live-change");
  };
  let connected = false;
  source.addEventListener("ready", () => {
    show(true);
    if (connected) refresh(); // back after a lost connection: changes may have been missed
    connected = true;
  });
  source.addEventListener("change", refresh);
  source.addEventListener("error", () => show(false));
})();
