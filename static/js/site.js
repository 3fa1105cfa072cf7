/* Behaviour every page shares. Pages carry no inline script or event handler
   (the Content-Security-Policy runs script files from this host only). */
(function () {
  "use strict";
  // A <select data-submit-on-change> submits its form when a choice is made (the language switch).
  document.querySelectorAll("select[data-submit-on-change]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
})();
