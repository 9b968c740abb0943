// Sort and filter the leaderboard table in the page; no library, nothing fetched.
(function () {
  "use strict";

  function sortKey(cell, numeric) {
    var raw = cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent;
    if (!numeric) return raw.trim().toLowerCase();
    return raw === "" ? null : Number(raw);
  }

  function compare(a, b, numeric, direction) {
    if (a === b) return 0;
    if (a === null || a === "") return 1; // missing values last, either way
    if (b === null || b === "") return -1;
    if (numeric) return (a - b) * direction;
    return a.localeCompare(b) * direction;
  }

  function setUp(table) {
    var body = table.tBodies[0];
    var headings = Array.prototype.slice.call(table.tHead.rows[0].cells);
    var root = table.parentNode;
    var filter = root.querySelector(".zoo-filter");
    var count = root.querySelector(".zoo-count");

    headings.forEach(function (heading, column) {
      heading.querySelector("button").addEventListener("click", function () {
        var direction = heading.getAttribute("aria-sort") === "ascending" ? -1 : 1;
        var numeric = heading.getAttribute("data-type") === "number";
        headings.forEach(function (other) { other.removeAttribute("aria-sort"); });
        heading.setAttribute("aria-sort", direction === 1 ? "ascending" : "descending");
        var rows = Array.prototype.slice.call(body.rows).map(function (row, position) {
          return { row: row, key: sortKey(row.cells[column], numeric), position: position };
        });
        rows.sort(function (a, b) {
          return compare(a.key, b.key, numeric, direction) || a.position - b.position;
        });
        rows.forEach(function (item) { body.appendChild(item.row); });
      });
    });

    if (filter) {
      filter.addEventListener("input", function () {
        var words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
        var shown = 0;
        Array.prototype.forEach.call(body.rows, function (row) {
          var text = row.textContent.toLowerCase();
          var keep = words.every(function (word) { return text.indexOf(word) !== -1; });
          row.hidden = !keep;
          if (keep) shown += 1;
        });
        if (count) count.textContent = shown + " of " + body.rows.length + " rows";
      });
    }
  }

  Array.prototype.forEach.call(document.querySelectorAll("table.zoo-leaderboard"), setUp);
})();
