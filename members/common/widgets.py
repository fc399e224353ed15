"""Form widgets shared by the apps."""

from html import escape

from django import forms
from django.utils.safestring import mark_safe


class QuickSelect(forms.Select):
    """A select that writes its options in one pass, in Python.

    Django's own template renders a template per option, which for the
    hundreds of organisations in a list took more time than the rest of the
    page. The markup is the same as Django's.
    """

    template_name = "members/widgets/quick_select.html"

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["options_html"] = options_html(context["widget"]["optgroups"])
        return context


def _attributes(attrs):
    """name="value" pairs; True writes the name alone, False and None nothing."""
    return "".join(
        f" {escape(name)}"
        if value is True
        else f' {escape(name)}="{escape(str(value))}"'
        for name, value in attrs.items()
        if value is not False and value is not None
    )


def options_html(optgroups):
    """<option>s, in <optgroup>s where the choices are grouped."""
    parts = []
    for group_name, options, _index in optgroups:
        if group_name:
            parts.append(f'<optgroup label="{escape(str(group_name))}">')
        parts.extend(
            f'<option value="{escape(str(option["value"]))}"'
            f"{_attributes(option['attrs'])}>{escape(str(option['label']))}</option>"
            for option in options
        )
        if group_name:
            parts.append("</optgroup>")
    # Every name, value and label above is escaped (html.escape, quotes too).
    return mark_safe("".join(parts))  # noqa: S308
