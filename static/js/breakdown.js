// The break-down page (planning:target_break_down): the running sum of the regions' quantities and its difference
// to the target, as they are typed. The server shows the same figures for what is saved.
(function () {
  "use strict";
  var figures = document.querySelector("[data-breakdown-total]");
  if (!figures) return;
  var total = parseFloat(figures.getAttribute("data-breakdown-total")) || 0;
  var sumOut = document.querySelector("[data-breakdown-sum]");
  var gapOut = document.querySelector("[data-breakdown-gap]");
  var message = document.querySelector("[data-breakdown-message]");
  var inputs = document.querySelectorAll("[data-breakdown-part]");
  function format(n) { return (Math.round(n * 100) / 100).toString(); }
  function update() {
    var sum = 0;
    inputs.forEach(function (input) {
      var v = parseFloat((input.value || input.defaultValue || "").replace(/,/g, ""));
      if (!isNaN(v)) sum += v;
    });
    var gap = Math.round((total - sum) * 100) / 100;
    sumOut.textContent = format(sum);
    gapOut.textContent = format(gap);
    message.textContent = (gap === 0 ? "✓ " + message.getAttribute("data-match-text") : "⚠ " + message.getAttribute("data-mismatch-text"));
  }
  inputs.forEach(function (input) { input.addEventListener("input", update); });
})();
