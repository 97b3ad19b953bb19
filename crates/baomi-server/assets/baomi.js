// Baomi web UI: progressive enhancement only; every page works without this script.
(function () {
  "use strict";
  // The language switch submits as soon as a language is chosen (the button stays for
  // keyboard and no-script use).
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () {
      if (select.form) { select.form.submit(); }
    });
  });
  // Printed forms: the print button appears only where a script can print.
  document.querySelectorAll("button[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
  // Move focus to a refusal or error so that screen readers and keyboards land on it.
  var alert = document.querySelector("[role=alert]");
  if (alert) {
    alert.setAttribute("tabindex", "-1");
    alert.focus();
  }
})();
