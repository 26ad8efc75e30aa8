// Select a passage of the post or of a reply, press "Quote": the reply form beneath that
// item opens with the passage in its "Quoted passage" box (the page works without it:
// the box can be filled by hand).
(function () {
  "use strict";
  var thread = document.getElementById("thread");
  if (!thread) { return; }

  var button = document.createElement("button");
  button.type = "button";
  button.className = "quote-selection";
  button.hidden = true;
  button.textContent = "Quote the selected passage";
  document.body.appendChild(button);
  var chosen = null;

  function quotable(node) {
    var element = node && (node.nodeType === 1 ? node : node.parentElement);
    var text = element && element.closest(".markdown");
    if (!text) { return null; }
    var reply = text.closest("li.reply");
    if (reply) { return { form: reply.querySelector("details.reply-form"), text: text }; }
    if (text.closest("#post")) {
      return { form: thread.querySelector(":scope > details.reply-form"), text: text };
    }
    return null;
  }

  function selected() {
    var selection = window.getSelection();
    if (!selection || selection.isCollapsed || !selection.rangeCount) { return null; }
    var start = quotable(selection.anchorNode);
    var end = quotable(selection.focusNode);
    if (!start || !end || start.text !== end.text || !start.form) { return null; }
    var passage = selection.toString().replace(/\s+/g, " ").trim();
    return passage ? { form: start.form, passage: passage } : null;
  }

  function refresh() {
    chosen = selected();
    button.hidden = !chosen;
  }

  document.addEventListener("selectionchange", function () {
    window.clearTimeout(refresh.timer);
    refresh.timer = window.setTimeout(refresh, 150);
  });

  button.addEventListener("mousedown", function (event) { event.preventDefault(); });
  button.addEventListener("click", function () {
    chosen = selected() || chosen;
    if (!chosen) { return; }
    var details = chosen.form;
    details.open = true;
    var quoteBox = details.querySelector("details.quote-field");
    if (quoteBox) { quoteBox.open = true; }
    var quote = details.querySelector("textarea[name=quote]");
    if (quote) { quote.value = chosen.passage; }
    var body = details.querySelector("textarea[name=body]");
    button.hidden = true;
    if (body) { body.focus(); }
  });
}());
