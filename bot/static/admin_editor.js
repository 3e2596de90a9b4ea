// Heading and list buttons over the article's Markdown: the stored form stays Markdown, the
// secretary need not know its signs. Without JavaScript the toolbar stays hidden.
(function () {
  "use strict";
  document.querySelectorAll(".editor-toolbar").forEach(function (toolbar) {
    var area = document.getElementById(toolbar.dataset.for);
    if (!area) { return; }
    toolbar.hidden = false;
    toolbar.addEventListener("click", function (event) {
      var button = event.target.closest("button");
      if (!button) { return; }
      var start = area.selectionStart, end = area.selectionEnd, text = area.value;
      if (button.dataset.wrap) {
        var mark = button.dataset.wrap, chosen = text.slice(start, end) || "ข้อความ";
        area.value = text.slice(0, start) + mark + chosen + mark + text.slice(end);
        area.setSelectionRange(start + mark.length, start + mark.length + chosen.length);
      } else {
        var lineStart = text.lastIndexOf("\n", start - 1) + 1;
        var lineEnd = text.indexOf("\n", end); if (lineEnd < 0) { lineEnd = text.length; }
        var number = 0;
        var lines = text.slice(lineStart, lineEnd).split("\n").map(function (line) {
          var bare = line.replace(/^(#{1,6} |- |\d+\. )/, "");
          number += 1;
          return (button.hasAttribute("data-numbered") ? number + ". " : button.dataset.linePrefix) + bare;
        });
        var replaced = lines.join("\n");
        area.value = text.slice(0, lineStart) + replaced + text.slice(lineEnd);
        area.setSelectionRange(lineStart, lineStart + replaced.length);
      }
      area.focus();
    });
  });
})();
