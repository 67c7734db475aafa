// Site-wide behaviour, loaded from a static file so that the Content Security Policy needs no inline script.
document.addEventListener("DOMContentLoaded", function () {
  // The language selector submits its form on change (a button remains for browsers without script).
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
});
