// Reports: the job page polls its status until the job is done (progress bar, then the download link);
// the request form offers only the formats of the chosen report.
(function () {
  "use strict";
  var box = document.getElementById("report-job");
  if (box) {
    var bar = document.getElementById("report-bar");  // a <progress> element
    var delay = 1000;
    var poll = function () {
      fetch(box.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { if (!response.ok) { throw new Error(response.status); } return response.json(); })
        .then(function (job) {
          var status = document.getElementById("report-status");
          status.textContent = job.status_display;
          status.className = "status status-" + job.status;
          document.getElementById("report-percent").textContent = job.progress + "%";
          bar.value = job.progress;
          bar.textContent = job.progress + "%";
          document.getElementById("report-waiting").hidden = job.queued || job.status !== "queued";
          var error = document.getElementById("report-error");
          error.hidden = !job.error;
          error.textContent = job.error || "";
          document.getElementById("report-download").hidden = !job.downloadable;
          document.getElementById("report-started").textContent = job.started_display;
          document.getElementById("report-attempts").textContent = job.attempts;
          document.getElementById("report-finished").textContent = job.finished_display;
          if (job.rows !== null) { document.getElementById("report-rows").textContent = job.rows.toLocaleString(); }
          if (job.status === "succeeded" || job.status === "failed") { return; }
          delay = Math.min(delay * 1.2, 5000);
          window.setTimeout(poll, delay);
        })
        .catch(function () { window.setTimeout(poll, 5000); });
    };
    if (box.dataset.done !== "1") { window.setTimeout(poll, 500); }
  }
  var form = document.getElementById("report-form");
  var formatsData = document.getElementById("report-formats");
  if (form && formatsData) {
    var formats = JSON.parse(formatsData.textContent);
    var kind = form.querySelector("[name=kind]");
    var format = form.querySelector("[name=format]");
    var sync = function () {
      var allowed = formats[kind.value] || [];
      Array.prototype.forEach.call(format.options, function (option) {
        option.hidden = option.disabled = allowed.indexOf(option.value) === -1;
      });
      if (allowed.indexOf(format.value) === -1) { format.value = allowed[0]; }
    };
    kind.addEventListener("change", sync);
    sync();
  }
})();
