// The poll's times are written in the meeting's timezone. When the browser's own zone
// differs, add the time on the reader's clock after each <time data-poll-time>.
// Progressive enhancement: without script the page is whole.
(function () {
  "use strict";
  var root = document.querySelector("[data-poll-times]");
  if (!root || typeof Intl === "undefined" || !Intl.DateTimeFormat) return;
  var own;
  try {
    own = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (e) {
    return;
  }
  if (!own) return;
  var zone = root.getAttribute("data-zone");
  var lang = document.documentElement.lang || undefined;
  var template = root.getAttribute("data-your-time") || "{time}";

  function wall(date, tz) {
    // The wall-clock text of `date` in `tz` (to tell whether the two zones differ).
    return new Intl.DateTimeFormat("en-GB", {
      timeZone: tz, year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", hour12: false
    }).format(date);
  }

  var day = new Intl.DateTimeFormat(lang, {
    weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
    hour12: false, timeZone: own
  });
  var hour = new Intl.DateTimeFormat(lang, {
    hour: "2-digit", minute: "2-digit", hour12: false, timeZone: own
  });

  root.querySelectorAll("time[data-poll-time]").forEach(function (el) {
    var start = new Date(el.getAttribute("datetime"));
    var endText = el.getAttribute("data-end");
    if (isNaN(start.getTime())) return;
    try {
      if (zone && wall(start, zone) === wall(start, own)) return;
    } catch (e) {
      // An unknown meeting zone: show the reader's time anyway.
    }
    var text = day.format(start);
    if (endText) {
      var end = new Date(endText);
      if (!isNaN(end.getTime())) text += " – " + hour.format(end);
    }
    var span = document.createElement("span");
    span.className = "muted your-time";
    span.textContent = " (" + template.replace("{time}", text + " " + own) + ")";
    el.insertAdjacentElement("afterend", span);
  });
})();
