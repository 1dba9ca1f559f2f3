// Visit plan form: "Add another visit" / "Add another rule" rows from the formset's empty form.
// Without JavaScript the form still offers its blank rows; this only adds more. No inline scripts (CSP).
(function () {
  "use strict";

  function wireAdder(prefix, buttonSelector, templateSelector, listSelector) {
    var button = document.querySelector(buttonSelector);
    var template = document.querySelector(templateSelector);
    var list = document.querySelector(listSelector);
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    var max = document.getElementById("id_" + prefix + "-MAX_NUM_FORMS");
    if (!button || !template || !list || !total) { return; }
    var limit = max ? parseInt(max.value, 10) : 1000;

    function refresh() { button.disabled = parseInt(total.value, 10) >= limit; }

    button.hidden = false;
    refresh();
    button.addEventListener("click", function () {
      var index = parseInt(total.value, 10);
      if (index >= limit) { return; }
      var html = template.innerHTML.replace(/__prefix__/g, String(index)).replace(/__number__/g, String(index + 1));
      list.insertAdjacentHTML("beforeend", html);
      total.value = String(index + 1);
      refresh();
      var added = list.lastElementChild;
      var first = added && added.querySelector("input, select");
      if (first) { first.focus(); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    wireAdder("visit", "[data-plan-add-visit]", "[data-plan-visit-template]", "[data-plan-visits]");
    wireAdder("order", "[data-plan-add-order]", "[data-plan-order-template]", "[data-plan-orders]");
  });
})();
