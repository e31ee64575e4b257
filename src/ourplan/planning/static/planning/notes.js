// Conversation notes: keep a copy of unsaved typing in this browser (localStorage) so a dropped connection
// or closed tab loses nothing, restore it on the next visit, and forget it once the server has saved it.
// The notes panel arrives by htmx after the page, so this runs whenever htmx loads new content.
(function () {
  "use strict";

  function setUp(area) {
    if (area.dataset.notesReady) { return; }
    area.dataset.notesReady = "1";
    var key = "ourplan-notes-" + area.dataset.person;
    var status = document.getElementById("notes-status");
    var kept = null;
    try { kept = window.localStorage.getItem(key); } catch (e) { kept = null; }
    area.addEventListener("input", function () {
      try { window.localStorage.setItem(key, area.value); } catch (e) { /* storage full or disabled */ }
    });
    area.addEventListener("htmx:afterRequest", function (event) {
      if (!event.detail.successful) { return; }
      var params = event.detail.requestConfig && event.detail.requestConfig.parameters;
      var sent = params ? (params.get ? params.get("text") : params.text) : null;
      // Only forget the local copy if nothing was typed after this save was sent.
      if (sent === area.value && event.detail.xhr.responseText.indexOf('data-saved="true"') !== -1) {
        try { window.localStorage.removeItem(key); } catch (e) { /* ignore */ }
      }
    });
    if (kept !== null && kept !== area.value) {
      area.value = kept;
      if (status) { status.textContent = "Restored notes you had not saved. Saving now."; }
      window.htmx.trigger(area, "restored");
    }
  }

  window.htmx.onLoad(function (root) {
    var area = root.id === "notes-text" ? root : (root.querySelector && root.querySelector("#notes-text"));
    if (area) { setUp(area); }
  });
})();
