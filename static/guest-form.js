// A public post page kept by shared caches carries no visitor's CSRF token nor form
// clock (forum/web/conditional.py): when the visitor starts writing a guest comment,
// fetch this browser's own (which starts its session) and put them in the form. Without
// a script the comment is refused as an expired page once, and the page that follows
// carries the visitor's token.
(function () {
  "use strict";
  var form = document.querySelector("form[data-form-token]");
  if (!form) { return; }
  var asked = null;
  function fill() {
    if (asked) { return asked; }
    asked = fetch(form.getAttribute("data-form-token"), {
      credentials: "same-origin", headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok) { throw new Error("no token"); }
      return response.json();
    }).then(function (answer) {
      form.elements.csrf_token.value = answer.csrf_token;
      form.elements.started.value = answer.started;
    }).catch(function () { asked = null; });
    return asked;
  }
  form.addEventListener("focusin", fill);
  form.addEventListener("submit", function (event) {
    if (form.elements.csrf_token.value) { return; }
    event.preventDefault();
    fill().then(function () {
      if (!form.elements.csrf_token.value) { return; }
      if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
    });
  });
})();
