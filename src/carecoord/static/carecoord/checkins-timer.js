// The Progress tab's timer: shows how long the running timer has run (the server keeps the real start and
// computes the minutes on stop). No inline scripts anywhere (strict Content Security Policy).
(function () {
  "use strict";

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function show(el, started) {
    var seconds = Math.max(0, Math.floor((Date.now() - started) / 1000));
    var h = Math.floor(seconds / 3600);
    var m = Math.floor((seconds % 3600) / 60);
    var s = seconds % 60;
    el.textContent = (h ? h + ":" + pad(m) : String(m)) + ":" + pad(s) + " elapsed";
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-timer-started]").forEach(function (el) {
      var started = Date.parse(el.getAttribute("data-timer-started"));
      if (isNaN(started)) { return; }
      show(el, started);
      setInterval(function () { show(el, started); }, 1000);
    });
  });
})();
