// Drafts: what someone types in a post form is kept in this browser until
// the form is sent, so a closed tab or a lost connection loses nothing.
(function () {
  "use strict";
  var fields = document.querySelectorAll("textarea[data-draft], input[data-draft]");
  if (!fields.length || !window.localStorage) {
    return;
  }
  var prefix = "renkei-draft:" + (document.body.dataset.user || "") + ":" + location.pathname + ":";

  function keyOf(field) {
    return prefix + field.name;
  }

  function announce(form, text) {
    var status = form.querySelector(".draft-status");
    if (!status) {
      status = document.createElement("p");
      status.className = "draft-status helptext";
      status.setAttribute("role", "status");
      form.insertBefore(status, form.firstChild);
    }
    status.textContent = text;
  }

  Array.prototype.forEach.call(fields, function (field) {
    var form = field.form;
    var saved = localStorage.getItem(keyOf(field));
    if (saved && !field.value.trim()) {
      field.value = saved;
      if (form && form.dataset.draftRestored) {
        announce(form, form.dataset.draftRestored);
      }
    }
    var timer = null;
    field.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        if (field.value.trim()) {
          localStorage.setItem(keyOf(field), field.value);
        } else {
          localStorage.removeItem(keyOf(field));
        }
      }, 500);
    });
    if (form) {
      form.addEventListener("submit", function () {
        localStorage.removeItem(keyOf(field));
      });
    }
  });
})();
