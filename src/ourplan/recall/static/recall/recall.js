// Recall pages. Progressive enhancement only: every page works without this script.
(function () {
  "use strict";
  // "Select everyone on this page": hidden without JavaScript, where it could not work.
  function wireSelectAll(root) {
    root.querySelectorAll("[data-select-all]").forEach(function (box) {
      var name = box.dataset.selectAll;
      var label = root.querySelector("label[for='" + box.id + "']");
      box.hidden = false;
      if (label) { label.hidden = false; }
      box.addEventListener("change", function () {
        box.form.querySelectorAll("input[name='" + name + "']").forEach(function (b) { b.checked = box.checked; });
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { wireSelectAll(document); });
  document.addEventListener("htmx:afterSwap", function (event) { wireSelectAll(event.target); });
})();
