// Staff admin pages: live preview of the bot's reply while editing, rebuild progress.
// Every text from the server is inserted with textContent, never as HTML.
(function () {
  "use strict";

  function csrfToken(form) {
    var field = form.querySelector("input[name=csrf_token]");
    return field ? field.value : "";
  }

  // One live preview per language panel of an item page (each form previews its language).
  function setupPreview(form) {
    if (!form.dataset.previewUrl) return;
    var panel = form.closest(".lang-panel") || document;
    var out = panel.querySelector(".preview-text");
    var err = panel.querySelector(".preview-error");
    var question = panel.querySelector(".preview-question");
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
        question.textContent = data.question ? form.dataset.questionLabel.replace("{intent}", data.question) : "";
        err.hidden = !data.error;
        err.textContent = data.error || "";
        out.dataset.ready = String(mine);
      }).catch(function () {
        err.hidden = false;
        err.textContent = form.dataset.unavailable;
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
          result.textContent = job.error ? job.error : box.dataset.done.replace("{model}", job.model);
        } else {
          setTimeout(poll, 2000);
        }
      });
    }
    poll();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.edit-form").forEach(setupPreview);
    setupRebuild();
  });
})();
