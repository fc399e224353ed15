"""{% shared_fragment %}: parts of pages rendered once and shared between
readers (members/common/fragments.py)."""

import pytest
from django.template import Context, Template, TemplateSyntaxError
from django.urls import reverse
from django.utils import translation

from members.common import fragments
from tests.factories import make_organisation, make_user

TEMPLATE = Template(
    "{% load shared_fragments %}"
    '{% shared_fragment "test part" number if shared %}[{{ render }}]'
    "{% endshared_fragment %}"
)


@pytest.fixture(autouse=True)
def empty():
    fragments.pieces.clear()


class Counter:
    """A value that counts how often the template read it."""

    def __init__(self):
        self.count = 0

    def __str__(self):
        self.count += 1
        return str(self.count)


def render(**context):
    return TEMPLATE.render(Context({"shared": True, "number": 1, **context}))


def test_the_same_values_are_rendered_once():
    counter = Counter()

    assert render(render=counter) == "[1]"
    assert render(render=counter) == "[1]"
    assert counter.count == 1


def test_other_values_are_another_fragment():
    counter = Counter()

    render(render=counter, number=1)
    assert render(render=counter, number=2) == "[2]"


def test_each_language_has_its_own():
    counter = Counter()

    with translation.override("ja"):
        render(render=counter)
    with translation.override("en"):
        assert render(render=counter) == "[2]"


def test_without_its_condition_the_part_is_rendered_afresh():
    counter = Counter()

    render(render=counter, shared=False)
    assert render(render=counter, shared=False) == "[2]"


def test_a_fragment_needs_a_name():
    with pytest.raises(TemplateSyntaxError):
        Template(
            "{% load shared_fragments %}{% shared_fragment %}{% endshared_fragment %}"
        )


@pytest.mark.django_db
def test_the_menu_links_each_reader_to_their_own_organisation(client):
    first = make_user(email="a@example.jp", organisation=make_organisation())
    second = make_user(email="b@example.jp", organisation=make_organisation())
    for user in (first, second):
        client.force_login(user)
        html = client.get(reverse("boards:home")).content.decode()
        own = reverse("boards:organisation_dashboard", args=[user.organisation_id])
        assert f'href="{own}"' in html


@pytest.mark.django_db
def test_the_reply_form_keeps_the_readers_own_draft(
    member_client, member, other_member, make_thread
):
    from boards.services import drafts

    thread = make_thread(author=other_member)
    url = reverse("boards:thread", args=[thread.pk])
    # Another reader's empty form is shared first ...
    member_client.get(url)
    drafts.draft_save(user=member, thread=thread, body="書きかけの返信")
    # ... and the reader with a draft still gets theirs.
    assert "書きかけの返信" in member_client.get(url).content.decode()
