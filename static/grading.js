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
      if (level) { level.checked = true; focusGroup(index + 1); event.preventDefault(); }
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
