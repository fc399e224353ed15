// Names for the few controls Django admin's own markup leaves unnamed
// (WCAG 1.3.1, 4.1.2), added once the admin's scripts have built them.
"use strict";

(function () {
  function labelId(label) {
    if (!label.id) {
      label.id = label.htmlFor + "_label";
    }
    return label.id;
  }

  // Inputs in table cells (list_editable columns, tabular inlines) are
  // named by their column's heading and their row.
  function nameTableInputs(root) {
    const fields = root.querySelectorAll(
      "table td input:not([type=hidden]), table td select, table td textarea"
    );
    for (const field of fields) {
      if (field.labels.length || field.hasAttribute("aria-label")) {
        continue;
      }
      const cell = field.closest("td");
      const table = cell.closest("table");
      const heading = table.tHead && table.tHead.rows[0].cells[cell.cellIndex];
      if (!heading) {
        continue;
      }
      const row = cell.parentElement;
      const rowName = row.querySelector("th, td.original p");
      const rowText = rowName
        ? rowName.textContent.trim()
        : String(row.sectionRowIndex + 1);
      field.setAttribute(
        "aria-label",
        heading.textContent.trim() + " (" + rowText + ")"
      );
    }
  }

  // The search box icon of the two-list select (filter_horizontal) has an
  // aria-label, which a plain span may not carry without a role.
  function roleSearchIcons(root) {
    for (const icon of root.querySelectorAll(".search-label-icon[aria-label]")) {
      icon.setAttribute("role", "img");
    }
  }

  // The autocomplete box (select2) is named by the label of its select.
  function nameAutocompletes(root) {
    for (const select of root.querySelectorAll("select.admin-autocomplete")) {
      const box = select.nextElementSibling;
      const label = document.querySelector('label[for="' + select.id + '"]');
      if (!box || !box.classList.contains("select2") || !label) {
        continue;
      }
      const id = labelId(label);
      const combobox = box.querySelector("[role=combobox]");
      const shown = box.querySelector("[role=textbox]");
      if (combobox) {
        const parts = [id];
        if (shown && shown.id) {
          parts.push(shown.id);
        }
        combobox.setAttribute("aria-labelledby", parts.join(" "));
      }
      if (shown) {
        shown.setAttribute("aria-labelledby", id);
      }
    }
  }

  function fix(root) {
    nameTableInputs(root);
    roleSearchIcons(root);
    nameAutocompletes(root);
  }

  // This deferred script registers its handlers after the admin's own
  // (SelectFilter2 on load, autocomplete on jQuery's ready and on
  // formset:added), so they run after those have built their widgets.
  // jQuery's ready may come before or after load: fix on both.
  window.addEventListener("load", function () {
    fix(document);
  });
  if (window.django && window.django.jQuery) {
    window.django.jQuery(function () {
      fix(document);
    });
  }
  document.addEventListener("formset:added", function (event) {
    fix(event.target);
  });
})();
