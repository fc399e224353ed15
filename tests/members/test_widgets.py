"""QuickSelect writes what Django's Select writes, only faster."""

import re

import pytest
from django import forms

from members.common.widgets import QuickSelect

CHOICES = [
    ("", "すべて"),
    ("石川県", [(1, "石川県七尾市"), (2, 'A&B "市" <script>')]),
    (3, "千代田区"),
    ("it's", "O'Brien & Co"),
]


def markup(widget, value):
    html = widget.render("organisation", value, attrs={"id": "id_organisation"})
    return re.sub(r">\s+<", "><", html.strip())


@pytest.mark.parametrize("value", ["", "2", "3", None])
def test_the_markup_is_djangos(value):
    assert markup(QuickSelect(choices=CHOICES), value) == markup(
        forms.Select(choices=CHOICES), value
    )


def test_labels_values_and_groups_are_escaped():
    html = QuickSelect(choices=[('"><script>', [('1" onfocus="x', "<b>")])]).render(
        "f", None
    )
    assert "<script>" not in html
    assert "<b>" not in html
    assert 'value="1&quot; onfocus=&quot;x"' in html
    assert 'label="&quot;&gt;&lt;script&gt;"' in html


def test_the_chosen_option_is_selected():
    html = QuickSelect(choices=CHOICES).render("f", "2")
    assert re.search(r'<option value="2" selected>', html)
    assert html.count("selected") == 1
