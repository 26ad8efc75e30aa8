// @mentions (the forms work without it): in a writing box on a course's pages, "@" and
// the start of a name offer the course's members as a list; choosing one writes
// "@[Display Name] ", which the forum links to their profile when the text is saved.
// The box follows the ARIA combobox pattern: arrow keys move through the names, Enter
// chooses, Escape closes; the list is read from the page's data-mentionable-url.
(function () {
  "use strict";
  var main = document.querySelector("main[data-mentionable-url]");
  if (!main || !window.fetch) { return; }
  var url = main.getAttribute("data-mentionable-url");
  // "@" after a space, a bracket or the start, then a letter and up to 40 more of a name.
  var TRIGGER = /(^|[\s(>"'])@(\p{L}[\p{L}\p{M}\p{N} '\u2019.\-]{0,39})$/u;
  var DELAY = 150;
  var counter = 0;

  function setUp(box) {
    var id = "mention-list-" + (++counter);
    var list = document.createElement("ul");
    list.id = id;
    list.className = "mention-list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Course members to mention");
    list.hidden = true;
    var status = document.createElement("span");
    status.className = "sr-only";
    status.setAttribute("role", "status");
    box.insertAdjacentElement("afterend", list);
    list.insertAdjacentElement("afterend", status);
    box.setAttribute("role", "combobox");
    box.setAttribute("aria-autocomplete", "list");
    box.setAttribute("aria-expanded", "false");
    box.setAttribute("aria-controls", id);

    var people = [];
    var active = -1;
    var start = -1;  // where the "@" being completed stands in the text
    var timer = null;
    var asked = 0;

    function close() {
      clearTimeout(timer);
      asked++;  // answers to earlier questions are no longer wanted
      people = [];
      active = -1;
      list.hidden = true;
      list.textContent = "";
      box.setAttribute("aria-expanded", "false");
      box.removeAttribute("aria-activedescendant");
    }

    function highlight(index) {
      var options = list.querySelectorAll("[role=option]");
      active = index;
      for (var i = 0; i < options.length; i++) {
        options[i].setAttribute("aria-selected", i === index ? "true" : "false");
      }
      if (index >= 0 && options[index]) {
        box.setAttribute("aria-activedescendant", options[index].id);
        options[index].scrollIntoView({block: "nearest"});
      } else {
        box.removeAttribute("aria-activedescendant");
      }
    }

    function show(found) {
      people = found;
      list.textContent = "";
      active = -1;
      box.removeAttribute("aria-activedescendant");
      if (!found.length) {
        close();
        status.textContent = "No course member by that name.";
        return;
      }
      found.forEach(function (person, index) {
        var option = document.createElement("li");
        option.id = id + "-" + index;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.textContent = person.display_name;
        option.addEventListener("mousedown", function (event) {
          event.preventDefault();  // the box keeps the focus
          choose(index);
        });
        list.appendChild(option);
      });
      list.hidden = false;
      box.setAttribute("aria-expanded", "true");
      status.textContent = found.length + (found.length === 1 ? " name" : " names") +
        " to mention: arrow keys to choose, Enter to insert.";
    }

    function choose(index) {
      var person = people[index];
      if (!person || start < 0) { return; }
      var caret = box.selectionStart;
      var text = "@[" + person.display_name + "] ";
      box.value = box.value.slice(0, start) + text + box.value.slice(caret);
      var after = start + text.length;
      box.setSelectionRange(after, after);
      close();
      status.textContent = person.display_name + " mentioned.";
      box.dispatchEvent(new Event("input", {bubbles: true}));
    }

    function ask(query) {
      var mine = ++asked;
      fetch(url + "?q=" + encodeURIComponent(query), {
        credentials: "same-origin", headers: {"Accept": "application/json"}
      }).then(function (response) {
        return response.ok ? response.json() : [];
      }).then(function (found) {
        if (mine === asked) { show(Array.isArray(found) ? found : []); }
      }).catch(function () {
        if (mine === asked) { close(); }
      });
    }

    box.addEventListener("input", function () {
      var caret = box.selectionStart;
      var found = box.selectionEnd === caret &&
        TRIGGER.exec(box.value.slice(Math.max(0, caret - 60), caret));
      if (!found) { close(); return; }
      start = caret - found[2].length - 1;
      var query = found[2];
      clearTimeout(timer);
      timer = setTimeout(function () { ask(query); }, DELAY);
    });

    box.addEventListener("keydown", function (event) {
      if (list.hidden) { return; }
      var count = people.length;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        highlight(active + 1 >= count ? 0 : active + 1);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        highlight(active <= 0 ? count - 1 : active - 1);
      } else if ((event.key === "Enter" || event.key === "Tab") && active >= 0) {
        event.preventDefault();
        choose(active);
      } else if (event.key === "Escape") {
        event.preventDefault();
        close();
      }
    });

    box.addEventListener("blur", close);
  }

  var boxes = main.querySelectorAll("form textarea[name=body]");
  for (var i = 0; i < boxes.length; i++) { setUp(boxes[i]); }
})();
