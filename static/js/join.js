// Membership application: filter the long list of local governments by a
// typed name or kana. Without JavaScript the grouped list works on its own.
(function () {
  "use strict";
  var select = document.getElementById("id_organisation");
  var box = document.getElementById("organisation-filter");
  var input = document.getElementById("organisation-search");
  var count = document.getElementById("organisation-count");
  if (!select || !box || !input) {
    return;
  }
  box.hidden = false;
  var all = Array.prototype.slice.call(select.options).filter(function (option) {
    return option.value !== "";
  });

  function toHiragana(text) {
    return text.replace(/[\u30a1-\u30f6]/g, function (ch) {
      return String.fromCharCode(ch.charCodeAt(0) - 0x60);
    });
  }

  function normalise(text) {
    return toHiragana(text.normalize("NFKC").toLowerCase()).replace(/\s+/g, "");
  }

  var index = all.map(function (option) {
    return normalise(option.textContent + " " + (option.dataset.kana || ""));
  });

  input.addEventListener("input", function () {
    var query = normalise(input.value);
    var shown = 0;
    all.forEach(function (option, i) {
      var match = query === "" || index[i].indexOf(query) !== -1;
      option.hidden = !match;
      option.disabled = !match && !option.selected;
      if (match) {
        shown += 1;
      }
    });
    count.textContent = query === "" ? "" : count.dataset.template.replace("{count}", shown);
  });
})();
