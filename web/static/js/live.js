// Keeps server-rendered lists current: the first element marked data-live names an event
// stream; each "change" makes htmx fetch every such list again (its
// hx-trigger="live-change"). EventSource reconnects by itself after a lost connection.
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
  const refreshOne = (list) => {
    if (list.contains(document.activeElement) && document.activeElement.tagName !== "BUTTON") {
      // wait while someone types in it; the list is swapped whole, so find it again by id
      setTimeout(() => {
        const again = list.id ? document.getElementById(list.id) : null;
        if (again) refreshOne(again);
      }, 2000);
      return;
    }
    window.htmx.trigger(list, "live-change");
  };
  const refresh = () => {
    if (!window.htmx) return;
    for (const list of document.querySelectorAll("[data-live]")) refreshOne(list);
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
