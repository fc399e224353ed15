// Drafts: what someone types in a post form is kept in this browser until
// the site has accepted it, so a closed tab, an expired sign-in or a lost
// connection loses nothing. Signing out clears them (Clear-Site-Data, see
// config/views.py), so the next person on a shared PC does not find them.
(function () {
  "use strict";
  if (!window.localStorage || !window.sessionStorage) {
    return;
  }
  // A form was sent: its drafts go once a page confirms success.
  var sent = JSON.parse(sessionStorage.getItem("renkei-drafts-sent") || "[]");
  if (sent.length && document.querySelector(".message--success")) {
    sent.forEach(function (key) {
      localStorage.removeItem(key);
    });
    sessionStorage.removeItem("renkei-drafts-sent");
  }
  var fields = document.querySelectorAll("textarea[data-draft], input[data-draft]");
  if (!fields.length) {
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
        var pending = JSON.parse(sessionStorage.getItem("renkei-drafts-sent") || "[]");
        pending.push(keyOf(field));
        sessionStorage.setItem("renkei-drafts-sent", JSON.stringify(pending));
      });
    }
  });
})();
