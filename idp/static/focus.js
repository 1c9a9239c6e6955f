// Progressive enhancement (pages work without it): move the keyboard focus to the error
// summary, for browsers that do not honour `autofocus` on a non-form element, so that a
// screen reader announces the errors and Tab continues from them.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector("[data-focus-on-load]");
  if (summary && document.activeElement !== summary) {
    summary.focus();
  }
});
