// "Doctor not listed? Add to the directory" opens the directory form in a new tab. Coming back to this tab,
// the prescriber choices are read again from the server (the form's page, fetched in the background with a
// GET, nothing posted) and every prescriber <select> gets the fresh list, keeping its choice: the form is
// never reloaded, so what was entered stays. No inline scripts anywhere (strict Content Security Policy).
(function () {
  "use strict";
  if (window.carecoordPrescriberChoices) { return; }  // the link may be on every row: set up once
  window.carecoordPrescriberChoices = true;

  var SELECTS = 'select[name$="-prescriber"], select[name$="-ordered_by_practitioner"]';
  var pending = "";  // the page to read the fresh choices from, once the link was followed

  function update(select, fresh) {
    var chosen = select.value;
    var kept = null;
    Array.prototype.forEach.call(select.options, function (option) { if (option.value === chosen) { kept = option; } });
    while (select.options.length) { select.remove(0); }
    Array.prototype.forEach.call(fresh.options, function (option) { select.add(new Option(option.text, option.value)); });
    var present = Array.prototype.some.call(select.options, function (option) { return option.value === chosen; });
    if (!present && kept) { select.add(kept); }
    select.value = chosen;
  }

  function everySelect() {
    var found = Array.prototype.slice.call(document.querySelectorAll(SELECTS));
    document.querySelectorAll("template").forEach(function (template) {  // rows still to be added
      found = found.concat(Array.prototype.slice.call(template.content.querySelectorAll(SELECTS)));
    });
    return found;
  }

  function refresh() {
    var url = pending;
    if (!url || document.visibilityState !== "visible") { return; }
    pending = "";
    fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) {
        var fresh = html && new DOMParser().parseFromString(html, "text/html").querySelector(SELECTS);
        if (!fresh) { return; }
        everySelect().forEach(function (select) { update(select, fresh); });
      })
      .catch(function () { pending = url; });  // offline for a moment: try again next time
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-prescriber-add]");
    if (link) { pending = link.getAttribute("data-choices-url") || window.location.pathname; }
  });
  document.addEventListener("visibilitychange", refresh);
  window.addEventListener("focus", refresh);
})();
