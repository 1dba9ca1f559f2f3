// Medication pages: "Add another medication" on a new source list (a Django formset: clone the empty row
// from its <template>, renumber it, bump TOTAL_FORMS), and the RxNorm picker (choosing a suggested name
// fills its RxCUI), and a refused reconciliation's error summary brought into view and focused. No inline
// scripts anywhere (strict Content Security Policy).
(function () {
  "use strict";

  function pickerCodes() {
    var codes = {};
    document.querySelectorAll("#rxnorm-picker option").forEach(function (option) {
      codes[option.value.toLowerCase()] = option.getAttribute("data-rxcui");
    });
    return codes;
  }

  function fillCode(input, codes) {
    var code = codes[input.value.trim().toLowerCase()];
    var row = input.closest(".med-row");
    var target = row && row.querySelector(".med-rxcui");
    if (code && target && !target.value) { target.value = code; }
  }

  function setUpRows() {
    var rows = document.getElementById("med-rows");
    var template = document.getElementById("med-row-template");
    var button = document.getElementById("med-add-row");
    if (!rows || !template || !button) { return; }
    var prefix = rows.getAttribute("data-prefix");
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    var max = document.getElementById("id_" + prefix + "-MAX_NUM_FORMS");
    button.hidden = false;
    button.addEventListener("click", function () {
      var index = parseInt(total.value, 10);
      if (max && index >= parseInt(max.value, 10)) { return; }
      var html = template.innerHTML.replace(/__prefix__/g, String(index)).replace(/__number__/g, String(index + 1));
      var holder = document.createElement("div");
      holder.innerHTML = html.trim();
      var row = holder.firstElementChild;
      rows.appendChild(row);
      total.value = String(index + 1);
      var first = row.querySelector("input, select");
      if (first) { first.focus(); }
    });
  }

  function setUpPicker() {
    var codes = pickerCodes();
    document.addEventListener("change", function (event) {
      if (event.target.classList && event.target.classList.contains("med-name")) { fillCode(event.target, codes); }
    });
  }

  // A refused save or signature comes back as a new page at its top: the error summary on top of the form
  // that was sent (nothing was saved, which rows to correct) is scrolled into view and focused, so it is read
  // out and Tab leads to its links to the rows.
  function focusErrorSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (!summary) { return; }
    summary.scrollIntoView({ block: "start" });
    summary.focus({ preventScroll: true });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setUpRows();
    setUpPicker();
    focusErrorSummary();
  });
})();
