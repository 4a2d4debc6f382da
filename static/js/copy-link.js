/* "Copy link" buttons: each copies its data-copy text to the clipboard and says so.
   Without JavaScript (or a clipboard) the buttons stay hidden and the link beside them
   leads to a page that shows the text to copy. */
(function () {
  "use strict";
  if (!navigator.clipboard || !window.isSecureContext) {
    return;
  }
  var status = document.getElementById("copy-status");
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var fallback = button.parentNode.querySelector(".copy-fallback");
    if (fallback) {
      fallback.hidden = true;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(button.getAttribute("data-copy")).then(function () {
        if (status) {
          status.textContent = button.getAttribute("data-copied");
        }
        button.textContent = button.getAttribute("data-copied");
      });
    });
  });
})();
