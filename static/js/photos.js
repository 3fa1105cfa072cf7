/* Progress photos: previews of the chosen files, an early warning when there
   are too many or one is too large (the server checks again, by content), and
   a submit button that cannot be pressed twice on a slow connection. */
(function () {
  "use strict";
  document.querySelectorAll("input[type=file][data-max-files]").forEach(function (input) {
    var maxFiles = parseInt(input.dataset.maxFiles, 10);
    var maxBytes = parseInt(input.dataset.maxBytes, 10);
    var form = input.form;
    var note = document.createElement("p");
    note.className = "photo-note";
    note.setAttribute("aria-live", "polite");
    var previews = document.createElement("div");
    previews.className = "photo-previews";
    input.insertAdjacentElement("afterend", previews);
    previews.insertAdjacentElement("afterend", note);
    input.addEventListener("change", function () {
      previews.textContent = "";
      var files = Array.prototype.slice.call(input.files || []);
      var problems = [];
      if (files.length > maxFiles) problems.push(form.dataset.tooMany.replace("{n}", maxFiles));
      files.forEach(function (file) {
        if (file.size > maxBytes) problems.push(form.dataset.tooLarge.replace("{name}", file.name));
        if (/^image\//.test(file.type) && window.URL) {
          var img = document.createElement("img");
          img.alt = file.name;
          img.src = URL.createObjectURL(file);
          img.onload = function () { URL.revokeObjectURL(img.src); };
          previews.appendChild(img);
        }
      });
      note.textContent = problems.length ? problems.join(" ") : (files.length ? form.dataset.chosen.replace("{n}", files.length) : "");
      note.classList.toggle("error", problems.length > 0);
    });
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[type=submit]");
      if (button) { button.disabled = true; button.textContent = form.dataset.sending; }
    });
  });
})();
