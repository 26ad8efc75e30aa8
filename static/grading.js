// Keyboard grading (the page works without it): 1-9 choose a level of the current
// criterion and move on to the next, j / k move between criteria, s saves and opens the
// next ungraded student, n / p open the next / previous student.
(function () {
  "use strict";
  var form = document.getElementById("grade-form");
  if (!form) { return; }
  var groups = Array.prototype.slice.call(form.querySelectorAll("fieldset.criterion"));

  function current() {
    var focused = groups.indexOf(document.activeElement && document.activeElement.closest
      ? document.activeElement.closest("fieldset.criterion") : null);
    if (focused >= 0) { return focused; }
    for (var i = 0; i < groups.length; i++) {
      if (!groups[i].querySelector("input:checked")) { return i; }
    }
    return 0;
  }

  function focusGroup(index) {
    var group = groups[Math.max(0, Math.min(groups.length - 1, index))];
    if (!group) { return; }
    (group.querySelector("input:checked") || group.querySelector("input")).focus();
  }

  // The Score box follows the rubric until the grader types in it: the sum is shown live,
  // and a box still holding what the page was drawn with is emptied when levels change.
  var score = form.querySelector("input[name=score]");
  var reason = form.querySelector("input[name=override_reason]");
  var sumOutput = document.getElementById("rubric-sum");
  var typed = false;
  if (score) { score.addEventListener("input", function () { typed = true; }); }

  function rubricSum() {
    var total = 0;
    form.querySelectorAll("fieldset.criterion input:checked").forEach(function (input) {
      total += Number(input.dataset.points || 0);
    });
    return Number(total.toFixed(2)).toString();
  }

  form.addEventListener("change", function (event) {
    if (!event.target.matches("fieldset.criterion input[type=radio]") || !sumOutput) { return; }
    var sum = rubricSum();
    sumOutput.textContent = sum;
    score.placeholder = sum;
    if (!typed && !(reason && reason.value.trim())) { score.value = ""; }
  });

  function follow(rel) {
    var link = document.querySelector("a[data-key='" + rel + "']");
    if (link) { window.location.href = link.href; }
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) { return; }
    if (event.target.matches("textarea, input[type=text], input[type=number], select")) { return; }
    var key = event.key;
    if (/^[1-9]$/.test(key) && groups.length) {
      var index = current();
      var levels = groups[index].querySelectorAll("input[type=radio]");
      var level = levels[Number(key) - 1];
      if (level) {
        level.checked = true;
        level.dispatchEvent(new Event("change", { bubbles: true }));
        focusGroup(index + 1);
        event.preventDefault();
      }
    } else if (key === "j" || key === "k") {
      focusGroup(current() + (key === "j" ? 1 : -1));
      event.preventDefault();
    } else if (key === "s") {
      event.preventDefault();
      form.requestSubmit();
    } else if (key === "n" || key === "p") {
      follow(key);
    }
  });
}());
