// The console's small enhancements; every page works without them.
// - Buttons with data-select="all" or "none" tick or untick every checkbox of the fieldset they sit in.
// - Buttons with data-copy="#id" copy that element's text to the clipboard and say so.
// The buttons ship hidden and are shown here, so that nobody sees a button that cannot work.
(function () {
  "use strict";
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "absolute";
      area.style.left = "-9999px";
      document.body.appendChild(area);
      area.select();
      var done = false;
      try { done = document.execCommand("copy"); } catch (error) { done = false; }
      document.body.removeChild(area);
      if (done) resolve(); else reject(new Error("copy failed"));
    });
  }
  function init() {
    var buttons = document.querySelectorAll("button[data-select], button[data-copy]");
    for (var i = 0; i < buttons.length; i++) buttons[i].hidden = false;
    var groups = document.querySelectorAll(".select-all[hidden]");
    for (var g = 0; g < groups.length; g++) groups[g].hidden = false;
    document.addEventListener("click", function (event) {
      var button = event.target.closest ? event.target.closest("button[data-select], button[data-copy]") : null;
      if (!button) return;
      if (button.hasAttribute("data-select")) {
        var scope = button.closest("fieldset") || document;
        var ticked = button.getAttribute("data-select") === "all";
        var boxes = scope.querySelectorAll("input[type=checkbox]");
        for (var j = 0; j < boxes.length; j++) {
          if (!boxes[j].disabled) boxes[j].checked = ticked;
        }
        return;
      }
      var source = document.querySelector(button.getAttribute("data-copy"));
      if (!source) return;
      var label = button.getAttribute("data-label") || button.textContent;
      button.setAttribute("data-label", label);
      copyText(source.textContent.trim()).then(function () {
        button.textContent = button.getAttribute("data-done") || "✓";
      }, function () {
        button.textContent = button.getAttribute("data-failed") || "✗";
      });
      window.setTimeout(function () { button.textContent = label; }, 2000);
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
