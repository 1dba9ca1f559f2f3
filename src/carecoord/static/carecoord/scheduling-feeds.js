// Calendar feed pages: the "Copy address" button copies the new feed's address (no inline scripts: strict CSP).
(function () {
  "use strict";

  function copy(button) {
    var id = button.getAttribute("data-copy-target");
    var input = document.getElementById(id);
    var status = document.querySelector('[data-copy-status="' + id + '"]');
    if (!input) { return; }
    function done(text) { if (status) { status.textContent = text; } }
    input.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(
        function () { done("Copied."); },
        function () { done("Select the address and copy it."); }
      );
    } else {
      done(document.execCommand && document.execCommand("copy") ? "Copied." : "Select the address and copy it.");
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-copy-target]").forEach(function (button) {
      button.addEventListener("click", function () { copy(button); });
    });
  });
})();
