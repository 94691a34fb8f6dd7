// Staff admin pages: live preview of the bot's reply while editing, rebuild progress.
// Every text from the server is inserted with textContent, never as HTML.
(function () {
  "use strict";

  function csrfToken(form) {
    var field = form.querySelector("input[name=csrf_token]");
    return field ? field.value : "";
  }

  function setupPreview() {
    var form = document.getElementById("edit-form");
    if (!form || !form.dataset.previewUrl) return;
    var out = document.getElementById("preview-text");
    var err = document.getElementById("preview-error");
    var question = document.getElementById("preview-question");
    var timer = null;
    var sent = 0;

    function refresh() {
      var mine = ++sent;
      fetch(form.dataset.previewUrl, {
        method: "POST", body: new FormData(form), credentials: "same-origin",
        headers: { "X-CSRF-Token": csrfToken(form) }
      }).then(function (response) { return response.json(); }).then(function (data) {
        if (mine !== sent) return; // an older answer arriving late
        out.textContent = data.text || "";
        question.textContent = data.question ? "Reply to a question of type " + data.question + ":" : "";
        err.hidden = !data.error;
        err.textContent = data.error || "";
        out.dataset.ready = String(mine);
      }).catch(function () {
        err.hidden = false;
        err.textContent = "Preview not available (are you still logged in?)";
      });
    }

    form.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(refresh, 300);
    });
    refresh();
  }

  function setupRebuild() {
    var box = document.getElementById("rebuild");
    if (!box || !box.dataset.running) return;
    var steps = document.getElementById("job-steps");
    var result = document.getElementById("job-result");
    var log = document.getElementById("job-log");
    var training = document.getElementById("job-training");

    function poll() {
      fetch(box.dataset.jobUrl, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (job) {
        if (!job) return;
        steps.textContent = "";
        job.steps.forEach(function (step) {
          var li = document.createElement("li");
          li.className = "step-" + step.state;
          li.textContent = step.name + ": " + step.state;
          steps.appendChild(li);
        });
        log.textContent = job.log_tail;
        training.textContent = job.training;
        if (job.finished) {
          result.textContent = job.error ? job.error : "Done: " + job.model + " is serving.";
        } else {
          setTimeout(poll, 2000);
        }
      });
    }
    poll();
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupPreview();
    setupRebuild();
  });
})();
