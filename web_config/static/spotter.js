// Spotter's page script: keeps the Now panel current and sends its buttons without a
// page load. Every page also works without it.
"use strict";
(function () {
  var panel = document.getElementById("panel");
  var shown = null;
  var since = Date.now();

  function countDown() {
    if (!panel) return;
    var gone = Math.floor((Date.now() - since) / 1000);
    panel.querySelectorAll("[data-remaining]").forEach(function (el) {
      el.textContent = Math.max(0, Number(el.dataset.remaining) - gone);
    });
  }

  function refresh() {
    if (!panel || document.hidden) return;
    fetch(panel.dataset.panelUrl, { cache: "no-cache", credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html !== null && html !== shown) {
          shown = html;
          panel.innerHTML = html;
          since = Date.now();
        }
      })
      .catch(function () {});
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.dataset.confirm;
    if (question && !window.confirm(question)) {
      event.preventDefault();
      return;
    }
    if (!form.hasAttribute("data-live")) return;
    event.preventDefault();
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    }).then(function (r) {
      if (r.status === 401) window.location = "/login?next=/";
      refresh();
      setTimeout(refresh, 300);
    }).catch(function () { form.submit(); });
  });

  if (panel) {
    shown = panel.innerHTML;
    setInterval(refresh, 1000);
    setInterval(countDown, 250);
    document.addEventListener("visibilitychange", refresh);
  }
})();
