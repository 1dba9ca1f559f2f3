// CareCoord page behaviour. No inline scripts anywhere (strict Content Security Policy).
(function () {
  "use strict";

  // Idle sign-out on the screen too: the server ends idle sessions, and this takes PHI off an
  // unattended screen at the same moment.
  function startIdleTimer() {
    var body = document.body;
    var seconds = parseInt(body.getAttribute("data-idle-seconds") || "0", 10);
    var loginUrl = body.getAttribute("data-login-url");
    if (!seconds || !loginUrl) { return; }
    var timer = null;
    function reset() {
      if (timer) { clearTimeout(timer); }
      timer = setTimeout(function () {
        window.location.assign(loginUrl + "?idle=1&next=" + encodeURIComponent(window.location.pathname));
      }, (seconds + 5) * 1000);
    }
    ["keydown", "mousedown", "touchstart", "scroll"].forEach(function (name) {
      document.addEventListener(name, reset, { passive: true });
    });
    document.body.addEventListener("htmx:afterRequest", reset);
    reset();
  }

  // Elements with data-autosubmit submit their form on change (e.g. filters).
  function wireAutosubmit() {
    document.querySelectorAll("[data-autosubmit]").forEach(function (el) {
      el.addEventListener("change", function () { el.form && el.form.requestSubmit(); });
    });
  }

  // A form with data-confirm asks before it is sent (signing, which cannot be undone). htmx forms use
  // hx-confirm instead.
  function wireConfirm() {
    document.addEventListener("submit", function (event) {
      var message = event.target.getAttribute && event.target.getAttribute("data-confirm");
      if (message && !window.confirm(message)) { event.preventDefault(); }
    }, true);
  }

  document.addEventListener("DOMContentLoaded", function () {
    startIdleTimer();
    wireAutosubmit();
    wireConfirm();
  });
})();
