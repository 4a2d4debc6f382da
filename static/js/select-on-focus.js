/* A read-only personal link selects itself when focused, ready to copy
   (an `onfocus` attribute would be inline script, which the page's policy refuses). */
document.addEventListener("focusin", function (event) {
  "use strict";
  var field = event.target;
  if (field && field.hasAttribute && field.hasAttribute("data-select-on-focus")) {
    field.select();
  }
});
