/* The console's two live parts, written by hand because they are all it needs (no htmx, no build step):
   1. the preview switches: the iframe's width (375 / 650 px) and colour scheme (light / dark);
   2. the send progress: refreshed every two seconds while a send runs (an aria-live region).
   Everything works without JavaScript too (the preview then stays at phone width, light). */
(function () {
  "use strict";
  function setupPreview() {
    var frame = document.getElementById("preview");
    if (!frame) { return; }
    function update() {
      var width = document.querySelector('input[name="width"]:checked');
      var scheme = document.querySelector('input[name="scheme"]:checked');
      frame.width = width ? width.value : "375";
      var wanted = frame.getAttribute("data-base") + "?scheme=" + (scheme ? scheme.value : "light");
      if (frame.getAttribute("src") !== wanted) { frame.setAttribute("src", wanted); }
    }
    document.querySelectorAll('input[name="width"], input[name="scheme"]').forEach(function (input) {
      input.addEventListener("change", update);
    });
  }
  function setupProgress() {
    var box = document.querySelector("[data-poll]");
    if (!box) { return; }
    function poll() {
      fetch(box.getAttribute("data-poll"), { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) {
          if (html !== null && box.innerHTML.trim() !== html.trim()) { box.innerHTML = html; }
        })
        .catch(function () { /* the next tick tries again */ });
    }
    window.setInterval(poll, 2000);
  }
  function setupBars() {
    document.querySelectorAll(".bar[data-width]").forEach(function (bar) {
      bar.style.width = bar.getAttribute("data-width") + "%";
    });
  }
  document.addEventListener("DOMContentLoaded", function () { setupPreview(); setupProgress(); setupBars(); });
})();
