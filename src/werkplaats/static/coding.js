/* Coding a story: turn a mouse selection inside the text into offsets. The browser counts
   UTF-16 units, so utf16=1 tells the server to convert them to characters. (A static file,
   not an inline script: the Content Security Policy allows no inline script.) */
(function () {
  "use strict";
  var box = document.getElementById("doc-text"), form = document.getElementById("coding-form");
  if (!box || !form) return;
  var note = document.getElementById("selection-note");
  var label = note.getAttribute("data-selected-label") || "";
  var spans = Array.prototype.slice.call(box.querySelectorAll("div.unit span"));
  function offsetOf(node, offset) {
    for (var i = 0; i < spans.length; i++) {
      if (spans[i].contains(node)) { return parseInt(spans[i].dataset.start16, 10) + offset; }
    }
    return null;
  }
  document.addEventListener("selectionchange", function () {
    var sel = window.getSelection();
    if (!sel || sel.isCollapsed || !box.contains(sel.anchorNode)) { return; }
    var a = offsetOf(sel.anchorNode, sel.anchorOffset), b = offsetOf(sel.focusNode, sel.focusOffset);
    if (a === null || b === null) { return; }
    form.elements.start.value = Math.min(a, b); form.elements.end.value = Math.max(a, b);
    form.elements.utf16.value = "1";
    note.textContent = label + " " + sel.toString().slice(0, 80);
  });
})();
