// Drafts. A post form with data-draft-form is saved on the server every
// data-draft-interval seconds while it changes (the same request as its
// 「下書き保存」 button, without the files), so the person can go on from
// another computer. What is typed is also kept in this browser until the
// server has it, or the site has accepted the post: a lost connection or
// an expired sign-in loses nothing. Signing out clears this browser's copy
// (Clear-Site-Data, see config/views.py), so the next person on a shared PC
// does not find it.
(function () {
  "use strict";
  if (!window.localStorage || !window.sessionStorage || !window.fetch) {
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

  function localFields(form) {
    return form.querySelectorAll("textarea[data-draft], input[data-draft]");
  }

  function keepLocally(form) {
    Array.prototype.forEach.call(localFields(form), function (field) {
      if (field.value.trim()) {
        localStorage.setItem(keyOf(field), field.value);
      }
    });
  }

  function forgetLocally(form) {
    Array.prototype.forEach.call(localFields(form), function (field) {
      localStorage.removeItem(keyOf(field));
    });
  }

  var fields = document.querySelectorAll("textarea[data-draft], input[data-draft]");
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

  // Saving on the server.
  Array.prototype.forEach.call(document.querySelectorAll("form[data-draft-form]"), function (form) {
    var seconds = parseInt(form.dataset.draftInterval, 10) || 20;
    var changed = false;
    var saving = false;
    function markChanged(event) {
      // Files and the boxes that remove saved files are for the button.
      if (event.target.type !== "file" && event.target.name !== "remove_files") {
        changed = true;
      }
    }
    form.addEventListener("input", markChanged);
    form.addEventListener("change", markChanged);
    form.addEventListener("submit", function () {
      changed = false;
    });

    function save() {
      if (!changed || saving) {
        return;
      }
      var data = new FormData(form);
      Array.prototype.forEach.call(form.querySelectorAll("input[type=file]"), function (input) {
        data.delete(input.name);
      });
      data.delete("remove_files");
      data.set("save_draft", "1");
      changed = false;
      saving = true;
      fetch(form.action || location.href, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: {
          "Accept": "application/json",
          "X-CSRFToken": data.get("csrfmiddlewaretoken") || ""
        }
      })
        .then(function (response) {
          if (!response.ok) {
            throw new Error(response.status);
          }
          return response.json();
        })
        .then(function (saved) {
          var number = form.querySelector("input[name=draft]");
          if (number && saved.draft) {
            number.value = saved.draft;
            if (history.replaceState && saved.url) {
              history.replaceState(null, "", saved.url);
            }
          }
          if (!changed) {
            forgetLocally(form);
          }
          announce(form, saved.message);
        })
        .catch(function () {
          changed = true;
          keepLocally(form);
          announce(form, form.dataset.draftOffline || "");
        })
        .then(function () {
          saving = false;
        });
    }
    setInterval(save, seconds * 1000);
  });
})();
