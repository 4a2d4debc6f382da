/* Searchable checklists ([data-checklist], templates/invitations/_checklist.html): a
   search box narrows the list by the text of each choice (ticked ones stay shown) and a
   count says how many are chosen. Without JavaScript the whole list shows and works. */
(function () {
  "use strict";
  document.querySelectorAll("[data-checklist]").forEach(function (group) {
    var tools = group.querySelector(".checklist-tools");
    var search = group.querySelector("[data-checklist-search]");
    var count = group.querySelector("[data-checklist-count]");
    var items = Array.prototype.slice.call(group.querySelectorAll(".checklist-box li"));
    if (!tools || !search || !items.length) {
      return;
    }
    tools.hidden = false;

    function boxOf(item) {
      return item.querySelector('input[type="checkbox"]');
    }

    function update() {
      var wanted = search.value.trim().toLocaleLowerCase();
      var chosen = 0;
      items.forEach(function (item) {
        var ticked = boxOf(item).checked;
        if (ticked) {
          chosen += 1;
        }
        item.hidden = Boolean(wanted) && !ticked &&
          item.textContent.toLocaleLowerCase().indexOf(wanted) === -1;
      });
      count.textContent = group.getAttribute("data-chosen-text").replace("{num}", chosen);
    }

    search.addEventListener("input", update);
    group.addEventListener("change", update);
    // Enter in the search box would send the whole form: keep it for searching.
    search.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
      }
    });
    update();
  });
})();
