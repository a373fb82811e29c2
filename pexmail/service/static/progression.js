// Progressive enhancement of a batch's page: poll its state and move the bar without
// reloading; when the job ends, reload once to show the summary. Without JavaScript the
// page refreshes itself (<noscript> meta refresh).
(function () {
  var box = document.querySelector(".progression[data-running='oui']");
  if (!box || !window.fetch) { return; }
  var bar = document.getElementById("barre");
  var label = document.getElementById("etat-texte");
  function poll() {
    fetch(box.getAttribute("data-etat-url"), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (state) {
        if (!state) { return; }
        bar.value = state.percent;
        bar.textContent = state.percent + " %";
        label.textContent = state.label;
        if (state.state === "queued" || state.state === "running") {
          window.setTimeout(poll, 1000);
        } else {
          window.location.reload();
        }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
})();
