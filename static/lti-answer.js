// The deep linking answer (templates/lti/deep_linking_answer.html): send its form to
// the LMS at once. Without JavaScript its Continue button does the same.
(function () {
  "use strict";
  var form = document.querySelector("form[data-auto-submit]");
  if (form) { form.submit(); }
}());
