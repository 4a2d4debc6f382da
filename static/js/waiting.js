/* Pages that wait for the background worker (a signature, the agenda or report PDF, a
   /verify check). The page marks the waiting part with data-waiting; this script asks
   the server for the same page every few seconds, without reloading: while the answer
   still waits, it says so now and then in the part's live status (role="status"); once
   the answer is there, it puts the new page's content in place and moves the focus to
   the result (data-waiting-result, else the heading), so a screen reader reads it
   instead of starting again at the top. Without script, the page's <noscript> refresh
   reloads it, and the "Check again" link is there for everyone. */
(function () {
  "use strict";
  var waiting = document.querySelector("[data-waiting]");
  if (!waiting || !window.fetch || !window.DOMParser) {
    return;
  }
  var seconds = Number(waiting.getAttribute("data-poll-seconds")) || 3;
  var status = waiting.querySelector("[data-waiting-status]");
  var still = waiting.getAttribute("data-still") || "";
  var polls = 0;

  function later() {
    window.setTimeout(poll, seconds * 1000);
  }

  function show(page) {
    var main = document.getElementById("main");
    var next = page.getElementById("main");
    if (!main || !next) {
      window.location.reload();
      return;
    }
    main.innerHTML = next.innerHTML;
    document.title = page.title;
    var result = main.querySelector("[data-waiting-result]") || main.querySelector("h1");
    if (result) {
      if (!result.hasAttribute("tabindex")) {
        result.setAttribute("tabindex", "-1");
      }
      result.focus();
    }
  }

  function poll() {
    polls += 1;
    window.fetch(window.location.href, {
      credentials: "same-origin",
      cache: "no-store",
      headers: { Accept: "text/html" },
    }).then(function (response) {
      return response.text();
    }).then(function (html) {
      var page = new DOMParser().parseFromString(html, "text/html");
      if (page.querySelector("[data-waiting]")) {
        // Still waiting: say so every fifth time (about every 15 s), not at each poll.
        if (status && still && polls % 5 === 0) {
          status.textContent = still;
        }
        later();
        return;
      }
      show(page);
    }).catch(later);
  }

  later();
})();
