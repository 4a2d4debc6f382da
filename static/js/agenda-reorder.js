/* Drag-and-drop reordering of the agenda table (HTML5 drag and drop, no library).
   After a drop the new order (the item ids) is POSTed with the CSRF token to the URL in
   data-order-url; the page then reloads so the planned times are recomputed.
   Without JavaScript the up/down buttons do the same job. */
(function () {
  "use strict";
  var body = document.getElementById("agenda-items");
  if (!body || !body.getAttribute("data-order-url") || !window.fetch || !window.FormData) {
    return;
  }
  var status = document.getElementById("agenda-order-status");
  var dragged = null;

  function say(message) {
    if (status) {
      status.textContent = message || "";
    }
  }

  function currentOrder() {
    return Array.prototype.map.call(body.querySelectorAll("tr[data-item-id]"), function (row) {
      return row.getAttribute("data-item-id");
    });
  }

  function save(order) {
    var data = new FormData();
    data.append("csrf_token", body.getAttribute("data-csrf"));
    order.forEach(function (id) {
      data.append("order", id);
    });
    say(body.getAttribute("data-saving"));
    fetch(body.getAttribute("data-order-url"), {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    })
      .then(function (response) {
        return response.json().then(function (payload) {
          return { ok: response.ok && payload.ok, message: payload.message };
        });
      })
      .then(function (result) {
        if (!result.ok) {
          say(result.message || body.getAttribute("data-failed"));
          return;
        }
        say(result.message);
        window.location.reload();
      })
      .catch(function () {
        say(body.getAttribute("data-failed"));
      });
  }

  body.addEventListener("dragstart", function (event) {
    var row = event.target.closest("tr[data-item-id]");
    if (!row) {
      return;
    }
    dragged = row;
    row.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", row.getAttribute("data-item-id"));
  });

  body.addEventListener("dragover", function (event) {
    if (!dragged) {
      return;
    }
    var row = event.target.closest("tr[data-item-id]");
    if (!row || row === dragged) {
      return;
    }
    event.preventDefault();
    var box = row.getBoundingClientRect();
    var after = event.clientY > box.top + box.height / 2;
    body.insertBefore(dragged, after ? row.nextSibling : row);
  });

  body.addEventListener("drop", function (event) {
    if (dragged) {
      event.preventDefault();
    }
  });

  body.addEventListener("dragend", function () {
    if (!dragged) {
      return;
    }
    dragged.classList.remove("dragging");
    dragged = null;
    var order = currentOrder();
    if (order.join(",") !== body.getAttribute("data-initial-order")) {
      save(order);
    }
  });

  body.setAttribute("data-initial-order", currentOrder().join(","));
})();
