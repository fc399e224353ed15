from pathlib import Path

import polib
import pytest
from django.conf import settings

CATALOGUE = Path(settings.LOCALE_PATHS[0]) / "ja" / "LC_MESSAGES"


def test_every_message_is_translated():
    po = polib.pofile(str(CATALOGUE / "django.po"))
    untranslated = [entry.msgid for entry in po.untranslated_entries()]
    fuzzy = [entry.msgid for entry in po.fuzzy_entries()]
    assert untranslated == []
    assert fuzzy == []


def test_compiled_catalogue_matches_the_source():
    po = polib.pofile(str(CATALOGUE / "django.po"))
    mo = polib.mofile(str(CATALOGUE / "django.mo"))
    source = {(e.msgctxt, e.msgid): e.msgstr for e in po.translated_entries()}
    compiled = {(e.msgctxt, e.msgid): e.msgstr for e in mo if e.msgid}
    assert compiled == source, "run: python manage.py compilemessages"


@pytest.mark.django_db
def test_the_empty_choice_of_a_select_is_in_japanese(member_client):
    # Django's own catalogue lacks the label it gives an empty choice.
    page = member_client.get("/boards/c/proposals/new/").content.decode()
    assert "選択してください" in page
    assert "Select an option" not in page
