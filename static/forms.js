// Two kindnesses on forms. A button with data-confirm asks before a step that cannot be undone
// (withdrawing, refusing); the server still checks everything. A form with data-unsaved warns
// before the page is left with changes typed and not yet saved or sent.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-confirm]");
    if (button && !window.confirm(button.dataset.confirm)) event.preventDefault();
  });
  var changed = false, sending = false;
  document.querySelectorAll("form[data-unsaved]").forEach(function (form) {
    form.addEventListener("input", function () { changed = true; });
    form.addEventListener("change", function () { changed = true; });
    form.addEventListener("submit", function () { sending = true; });
  });
  window.addEventListener("beforeunload", function (event) {
    if (changed && !sending) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
})();
