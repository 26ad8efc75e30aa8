// "n" moves to the next reply marked New on a post page (and the "Jump to the first
// new reply" link does the same without a script). Keys typed into a field are left alone.
(function () {
  "use strict";
  function typing(target) {
    return target.closest("input, textarea, select, [contenteditable]") !== null;
  }
  function nextNew() {
    var replies = Array.prototype.map.call(
      document.querySelectorAll("#thread [data-new]"),
      function (mark) { return mark.closest("li.reply"); });
    if (!replies.length) { return null; }
    var here = document.activeElement && document.activeElement.closest("li.reply");
    for (var i = 0; i < replies.length; i++) {
      var after = here ? here.compareDocumentPosition(replies[i]) &
        Node.DOCUMENT_POSITION_FOLLOWING
        : replies[i].getBoundingClientRect().top > 8;
      if (after) { return replies[i]; }
    }
    return replies[0];
  }
  function go(reply) {
    if (!reply) { return; }
    var article = reply.querySelector("article");
    article.setAttribute("tabindex", "-1");
    article.focus({ preventScroll: true });
    reply.scrollIntoView({ block: "start" });
    history.replaceState(null, "", "#" + reply.id);
  }
  document.addEventListener("keydown", function (event) {
    if (event.key !== "n" || event.ctrlKey || event.metaKey || event.altKey ||
        typing(event.target)) { return; }
    var reply = nextNew();
    if (reply) { event.preventDefault(); go(reply); }
  });
  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-next-new]");
    if (!link) { return; }
    var reply = document.getElementById(link.getAttribute("href").slice(1));
    if (reply) { event.preventDefault(); go(reply); }
  });
})();
