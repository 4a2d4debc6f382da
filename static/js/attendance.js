/* The attendance sheet saves each click at once and refreshes the counts.
   Without JavaScript the same form is submitted with its Save button. */
(function () {
  "use strict";
  var sheet = document.getElementById("attendance-sheet");
  if (!sheet || !window.fetch || !window.FormData) {
    return;
  }
  var status = document.getElementById("attendance-status");

  function showRowError(row, message) {
    var box = row.querySelector("[data-row-error]");
    box.textContent = message || "";
    box.hidden = !message;
    row.classList.toggle("row-error", Boolean(message));
  }

  function save(row) {
    var id = row.getAttribute("data-invitation");
    var data = new FormData();
    var token = sheet.querySelector('input[name="csrf_token"]');
    if (token) {
      data.append("csrf_token", token.value);
    }
    row.querySelectorAll("input[name]").forEach(function (input) {
      if (input.type !== "radio" || input.checked) {
        data.append(input.name, input.value);
      }
    });
    fetch(sheet.action, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    })
      .then(function (response) {
        return response.json();
      })
      .then(function (body) {
        if (!body.ok) {
          showRowError(row, body.message);
          return;
        }
        showRowError(row, "");
        var saved = body.saved[id];
        if (saved) {
          row.querySelector('[name="was-attendance-' + id + '"]').value = saved.attendance;
          row.querySelector('[name="was-represents-' + id + '"]').value = saved.represents;
          row.querySelector('[name="represents-' + id + '"]').value = saved.represents;
        }
        var counts = document.getElementById("attendance-counts");
        if (counts && body.counts_html) {
          counts.outerHTML = body.counts_html;
        }
        if (status) {
          status.textContent = body.message;
        }
      })
      .catch(function () {
        showRowError(row, sheet.getAttribute("data-offline-message"));
      });
  }

  sheet.addEventListener("change", function (event) {
    var row = event.target.closest("tr[data-invitation]");
    if (row) {
      save(row);
    }
  });
})();
