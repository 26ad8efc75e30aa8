// Writing forms (the forms work without it): every form that posts a `body` textarea (a
// post, a reply, a prompt, a guest comment, an edit) gets
// - a Preview button: the server renders the text with the renderer and sanitizer that
//   saving uses, and nothing is saved;
// - its text kept in this browser (localStorage) as it is typed, and offered back after a
//   reload, a closed tab, an expired session or a refused form. A text is dropped only
//   when the page after sending it confirms the save (a success message); a refused send
//   keeps it. Only textareas and a title are kept: never passwords, never other forms.
(function () {
  "use strict";
  var script = document.currentScript;
  var PREVIEW_URL = script ? script.getAttribute("data-preview-url") : null;
  var WRITER = script ? script.getAttribute("data-writer") || "guest" : "guest";
  var PREFIX = "forum-compose:";
  var PENDING = "forum-compose-sent";  // in this tab: the text its last page sent
  var KEEP_DAYS = 30;
  var KEEP_MAX = 50;
  var SAVE_DELAY = 400;
  var counter = 0;

  function usable(name) {
    try {
      var store = window[name];
      store.setItem(PREFIX + "test", "1");
      store.removeItem(PREFIX + "test");
      return store;
    } catch (error) {
      return null;  // blocked or full: the forms still work, only nothing is kept
    }
  }
  var kept = usable("localStorage");
  var tab = usable("sessionStorage");

  function read(key) {
    try { return JSON.parse(kept.getItem(key)); } catch (error) { return null; }
  }
  function write(key, entry) {
    try { kept.setItem(key, JSON.stringify(entry)); } catch (error) { /* full */ }
  }
  function keys() {
    var found = [];
    for (var i = 0; i < kept.length; i++) {
      var key = kept.key(i);
      if (key && key.indexOf(PREFIX) === 0 && key !== PREFIX + "test") { found.push(key); }
    }
    return found;
  }

  // The text this tab sent from the previous page: gone once the server says it is saved;
  // otherwise (a login page, an error page, the form shown again) kept and unsent.
  function settle() {
    var key = tab.getItem(PENDING);
    if (!key) { return; }
    tab.removeItem(PENDING);
    var entry = read(key);
    if (!entry) { return; }
    if (document.querySelector(".flashes .flash-success")) {
      kept.removeItem(key);
    } else {
      delete entry.sent;
      write(key, entry);
    }
  }

  // Old texts go after KEEP_DAYS, and the oldest beyond KEEP_MAX.
  function prune() {
    var now = Date.now();
    var entries = keys().map(function (key) { return {key: key, entry: read(key)}; });
    entries = entries.filter(function (item) {
      if (!item.entry || !item.entry.t || now - item.entry.t > KEEP_DAYS * 864e5) {
        kept.removeItem(item.key);
        return false;
      }
      return true;
    });
    entries.sort(function (a, b) { return b.entry.t - a.entry.t; });
    entries.slice(KEEP_MAX).forEach(function (item) { kept.removeItem(item.key); });
  }

  function when(time) {
    var date = new Date(time);
    var today = new Date().toDateString() === date.toDateString();
    return today ? date.toLocaleTimeString([], {hour: "2-digit", minute: "2-digit"})
      : date.toLocaleString([], {dateStyle: "medium", timeStyle: "short"});
  }

  function button(label, cls) {
    var made = document.createElement("button");
    made.type = "button";
    made.className = cls || "secondary";
    made.textContent = label;
    return made;
  }

  function setUp(form, body) {
    var id = ++counter;
    // What is kept: the form's textareas and its title, by the form's address (where it
    // sends) and the reply it answers, for the person writing.
    var fields = Array.prototype.slice.call(
      form.querySelectorAll("textarea[name], input[name=title]"));
    var parent = form.querySelector("input[name=parent_id]");
    var action = new URL(form.getAttribute("action") || window.location.pathname,
                         window.location.href).pathname;
    var key = PREFIX + WRITER + ":" + action + ":" + (parent ? parent.value : "");
    var submit = form.querySelectorAll("button[type=submit], input[type=submit], button:not([type])");
    submit = submit[submit.length - 1];

    if (kept) { keep(form, fields, key, body); }
    if (PREVIEW_URL && window.fetch && submit) { preview(form, body, submit, id); }
  }

  function values(fields) {
    var found = {};
    fields.forEach(function (field) { found[field.name] = field.value; });
    return found;
  }

  function keep(form, fields, key, body) {
    var timer = null;

    function save() {
      clearTimeout(timer);
      timer = null;
      var now = values(fields);
      var any = Object.keys(now).some(function (name) { return now[name].trim() !== ""; });
      if (any) {
        write(key, {t: Date.now(), fields: now});
      } else {
        kept.removeItem(key);
      }
    }

    fields.forEach(function (field) {
      field.addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(save, SAVE_DELAY);
      });
    });
    // A closed tab or a page left before the delay ran still keeps the last keystrokes.
    window.addEventListener("pagehide", function () { if (timer) { save(); } });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden" && timer) { save(); }
    });
    form.addEventListener("submit", function () {
      save();
      var entry = read(key);
      if (entry && tab) {
        entry.sent = Date.now();
        write(key, entry);
        tab.setItem(PENDING, key);
      }
    });

    offer(form, fields, key, body);
  }

  // A kept text that differs from what the form shows: put back at once into an empty
  // form (with a way to discard it), or offered beside a form that holds other text.
  function offer(form, fields, key, body) {
    var entry = read(key);
    if (!entry || !entry.fields) { return; }
    var saved = entry.fields;
    var shown = values(fields);
    var differs = fields.some(function (field) {
      return (saved[field.name] || "").trim() !== (shown[field.name] || "").trim();
    });
    if (!differs) { return; }
    var empty = fields.every(function (field) { return field.value.trim() === ""; });
    var restoreAtOnce = empty && !entry.sent;

    var notice = document.createElement("div");
    notice.className = "compose-notice";
    notice.setAttribute("role", "status");
    var text = document.createElement("p");
    notice.appendChild(text);
    var actions = document.createElement("p");
    actions.className = "compose-notice-actions";
    notice.appendChild(actions);

    function fill(from) {
      fields.forEach(function (field) {
        if (Object.prototype.hasOwnProperty.call(from, field.name)) {
          field.value = from[field.name];
        }
      });
    }
    function done(message) {
      text.textContent = message;
      actions.remove();
      body.focus();
    }

    var discard = button("Discard it");
    discard.addEventListener("click", function () {
      kept.removeItem(key);
      fill(shown);
      done("The kept text was discarded.");
    });
    if (restoreAtOnce) {
      fill(saved);
      text.textContent = "Your unsent text from " + when(entry.t) +
        " is back in the form (it was kept in this browser).";
    } else {
      text.textContent = (entry.sent ? "The text you sent at " + when(entry.t) +
        " is kept in this browser, in case it did not arrive."
        : "You have unsent text from " + when(entry.t) + " kept in this browser.");
      var restore = button("Restore it");
      restore.addEventListener("click", function () {
        fill(saved);
        delete entry.sent;
        write(key, entry);
        done("Your kept text is back in the form.");
      });
      actions.appendChild(restore);
      actions.appendChild(document.createTextNode(" "));
    }
    actions.appendChild(discard);

    var label = body.id ? form.querySelector("label[for='" + body.id + "']") : null;
    var place = body.closest(".field") || label || body;
    place.parentNode.insertBefore(notice, place);
    // A reply form folded in the thread opens, so that its kept text is seen.
    var folded = form.closest("details");
    if (folded) { folded.open = true; }
  }

  function preview(form, body, submit, id) {
    var region = document.createElement("div");
    region.id = "compose-preview-" + id;
    region.className = "compose-preview";
    region.setAttribute("role", "region");
    region.setAttribute("aria-live", "polite");
    region.setAttribute("aria-labelledby", region.id + "-label");
    region.hidden = true;
    var label = document.createElement("p");
    label.id = region.id + "-label";
    label.className = "compose-preview-label";
    label.textContent = "Preview";
    var note = document.createElement("p");
    note.className = "compose-preview-note";
    var shown = document.createElement("div");
    shown.className = "markdown";
    region.appendChild(label);
    region.appendChild(note);
    region.appendChild(shown);

    var toggle = button("Preview", "secondary compose-preview-button");
    toggle.setAttribute("aria-controls", region.id);
    submit.insertAdjacentElement("afterend", toggle);
    submit.insertAdjacentText("afterend", " ");
    form.appendChild(region);

    var asked = 0;
    var fresh = false;

    function say(message, html) {
      note.textContent = message;
      note.hidden = !message;
      shown.innerHTML = html || "";  // sanitized by the server, as saved text is
    }

    function hide() {
      asked++;
      fresh = false;
      region.hidden = true;
      say("");
      toggle.textContent = "Preview";
    }

    function failure(status) {
      if (status === 422) { return null; }
      if (status === 429) {
        return "Too many previews in a short time. Wait a minute, then press Preview again.";
      }
      if (status === 400) {
        return "This page has expired (perhaps you were logged out), so it cannot preview. " +
          "Your text is kept in this browser: reload the page and it is offered back.";
      }
      return "The preview failed (error " + status + "). Please try again.";
    }

    function show() {
      var number = ++asked;
      region.hidden = false;
      toggle.textContent = "Hide preview";
      if (!body.value.trim()) {
        fresh = true;
        say("Nothing to preview yet: write something first.");
        return;
      }
      region.setAttribute("aria-busy", "true");
      say("Rendering the preview…");
      var token = form.querySelector("input[name=csrf_token]");
      fetch(PREVIEW_URL, {
        method: "POST",
        credentials: "same-origin",
        headers: {"Content-Type": "application/json", "Accept": "application/json",
                  "X-CSRFToken": token ? token.value : ""},
        body: JSON.stringify({body: body.value})
      }).then(function (response) {
        var json = (response.headers.get("Content-Type") || "").indexOf("json") >= 0;
        return (json ? response.json() : Promise.resolve({})).then(function (data) {
          return {status: response.status, data: data || {}};
        });
      }).then(function (answer) {
        if (number !== asked) { return; }
        if (answer.status === 200 && typeof answer.data.html === "string") {
          fresh = true;
          say("", answer.data.html);
        } else {
          var errors = (answer.data.errors && answer.data.errors.body) || [];
          say(failure(answer.status) || "Nothing to preview: " + errors.join(" "));
        }
      }).catch(function () {
        if (number !== asked) { return; }
        say("The forum could not be reached to preview. Check your connection and press " +
            "Preview again; your text is kept in this browser.");
      }).then(function () {
        if (number === asked) { region.removeAttribute("aria-busy"); }
        if (region.getBoundingClientRect().top > window.innerHeight) {
          region.scrollIntoView({block: "nearest"});
        }
      });
    }

    toggle.addEventListener("click", function () {
      if (!region.hidden && fresh) { hide(); } else { show(); }
    });
    // Edited after a preview: the preview says it is out of date until pressed again.
    body.addEventListener("input", function () {
      if (region.hidden || !fresh) { return; }
      fresh = false;
      asked++;
      toggle.textContent = "Update preview";
      note.hidden = false;
      note.textContent = "The text changed since this preview: press Update preview to see it again.";
    });
  }

  if (kept && tab) { settle(); }
  if (kept) { prune(); }
  var forms = document.querySelectorAll("form[method=post i]");
  Array.prototype.forEach.call(forms, function (form) {
    var body = form.querySelector("textarea[name=body]");
    if (body && !form.querySelector("input[type=password]")) { setUp(form, body); }
  });
}());
