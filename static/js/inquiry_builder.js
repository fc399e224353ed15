// The question builder: each question shows only the settings its kind of
// answer uses (unit for numbers, choices, table rows and columns). Without
// this script every setting is shown, and the server ignores the others.
(function () {
  "use strict";
  document.querySelectorAll(".question-builder fieldset").forEach(function (question) {
    var kind = question.querySelector("select[name$='-kind']");
    var settings = question.querySelector("details");
    if (!kind || !settings) {
      return;
    }
    function show() {
      var any = false;
      settings.querySelectorAll("[data-kinds]").forEach(function (group) {
        var wanted = group.dataset.kinds.split(" ").indexOf(kind.value) !== -1;
        group.hidden = !wanted;
        any = any || wanted;
      });
      settings.hidden = !any;
      if (any) {
        settings.open = true;
      }
    }
    kind.addEventListener("change", show);
    show();
  });
})();
