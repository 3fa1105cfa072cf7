/* Shows, as the user types an amount, what would be left of the balance it is
   taken from (the server checks again under a row lock). */
(function () {
  "use strict";
  var fmt = new Intl.NumberFormat(document.documentElement.lang || "zh-CN", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  document.querySelectorAll("form[data-balance-form]").forEach(function (form) {
    var amount = form.querySelector("input[data-money]");
    var source = form.querySelector("select[data-balance-source]");
    var note = form.querySelector("[data-balance-note]");
    if (!amount || !note) return;
    function available() {
      if (source) {
        var option = source.options[source.selectedIndex];
        return option && option.dataset.available ? parseFloat(option.dataset.available) : NaN;
      }
      return parseFloat(form.dataset.available);
    }
    function update() {
      var left = available() - (parseFloat(amount.value) || 0);
      if (isNaN(left)) { note.textContent = ""; return; }
      note.textContent = (left < 0 ? note.dataset.over + " · " : "") + note.dataset.label + ": " + fmt.format(left);
      note.classList.toggle("error", left < 0);
    }
    amount.addEventListener("input", update);
    if (source) source.addEventListener("change", update);
    update();
  });
})();
