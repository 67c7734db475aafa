/* Progress of a background job: poll its JSON status, move the bar, reload when it has finished (the
   page then shows the result). The state lives in the database, so a reload at any time shows the same. */
(function () {
  "use strict";
  var box = document.querySelector("[data-job-status-url]");
  if (!box || box.getAttribute("data-job-finished") === "true") {
    return;
  }
  var url = box.getAttribute("data-job-status-url");
  var bar = box.querySelector("progress");
  var percent = box.querySelector("[data-job-percent]");
  var counts = box.querySelector("[data-job-counts]");
  var state = box.querySelector("[data-job-state]");
  var delay = 1000;

  function schedule() {
    window.setTimeout(tick, delay);
    delay = Math.min(delay * 1.2, 5000);
  }

  function show(data) {
    if (bar) { bar.value = data.percent; bar.textContent = data.percent + "%"; }
    if (percent) { percent.textContent = data.percent + "%"; }
    if (counts) { counts.textContent = data.done + " / " + data.total; }
    if (state) { state.textContent = data.status_label; }
  }

  function tick() {
    window.fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { schedule(); return; }
        show(data);
        if (data.finished) { window.location.reload(); return; }
        schedule();
      })
      .catch(schedule);
  }

  schedule();
})();
