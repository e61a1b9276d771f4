// The channel form's voice preview follows the voice select (no inline script under the CSP).
(function () {
  "use strict";
  function wire() {
    var select = document.querySelector("[data-voice-select]");
    var audio = document.querySelector("[data-voice-preview]");
    if (!select || !audio || select.dataset.previewWired) return;
    select.dataset.previewWired = "1";
    select.addEventListener("change", function () {
      audio.pause();
      audio.src = audio.getAttribute("data-preview-base") + encodeURIComponent(select.value);
      audio.load();
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", wire);
  else wire();
})();
