// An archive job's page: asks its status URL every two seconds while the job runs and
// moves the progress bar; once done or failed, shows the download, the course or the
// reason. Without scripts, the page's Refresh link does the same.
(function () {
  "use strict";
  var section = document.querySelector(".archive-job[data-status-url]");
  if (!section) { return; }
  var state = section.getAttribute("data-state");
  if (state === "done" || state === "failed") { return; }
  var bar = document.getElementById("job-progress");
  var stage = document.getElementById("job-stage");
  var EVERY = 2000;

  function show(status) {
    bar.value = status.percent;
    bar.textContent = status.percent + "%";
    if (status.state === "done" || status.state === "failed") {
      window.location.reload();  // the page itself shows the outcome and its links
      return false;
    }
    stage.textContent = status.percent + "% · " + status.stage;
    return true;
  }

  function ask() {
    fetch(section.getAttribute("data-status-url"), {
      credentials: "same-origin", headers: {"Accept": "application/json"}
    }).then(function (response) {
      if (!response.ok) { throw new Error(response.status); }
      return response.json();
    }).then(function (status) {
      if (show(status)) { window.setTimeout(ask, EVERY); }
    }).catch(function () {
      window.setTimeout(ask, EVERY * 5);  // a hiccup: ask again, less often
    });
  }

  window.setTimeout(ask, EVERY);
}());
