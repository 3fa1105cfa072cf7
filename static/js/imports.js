// Imports: while a large file is checked or imported in the background, the page polls its status (the progress
// bar, as for reports) and reloads itself when the job is done, to show the result.
(function () {
  "use strict";
  var box = document.getElementById("import-job");
  if (!box || box.dataset.running !== "1") { return; }
  var bar = document.getElementById("import-bar");
  var delay = 800;
  var poll = function () {
    fetch(box.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { if (!response.ok) { throw new Error(response.status); } return response.json(); })
      .then(function (job) {
        var status = document.getElementById("import-status");
        status.textContent = job.status_display;
        status.className = "status status-" + job.status;
        document.getElementById("import-percent").textContent = job.progress + "%";
        bar.value = job.progress;
        bar.textContent = job.progress + "%";
        if (job.done) { window.location.reload(); return; }
        delay = Math.min(delay * 1.2, 4000);
        window.setTimeout(poll, delay);
      })
      .catch(function () { window.setTimeout(poll, 4000); });
  };
  window.setTimeout(poll, 500);
})();
