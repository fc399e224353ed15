"""The board home's "new since your last visit" and "latest threads"."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from boards.models import BoardVisit, Thread
from boards.views.threads import NEW_THREADS_SHOWN

pytestmark = pytest.mark.django_db

HOME = reverse("boards:home")


def _visited(user, hours_ago):
    """The person's earlier visit, long enough ago to count as one."""
    at = timezone.now() - datetime.timedelta(hours=hours_ago)
    BoardVisit.objects.update_or_create(
        user=user, defaults={"last_visit_at": at, "previous_visit_at": None}
    )
    return at


def _active(thread, hours_ago):
    Thread.objects.filter(pk=thread.pk).update(
        last_activity_at=timezone.now() - datetime.timedelta(hours=hours_ago)
    )


def _titles(threads):
    return [thread.title for thread in threads]


def test_a_first_visit_shows_the_latest_threads(
    member_client, other_member, make_thread
):
    make_thread(author=other_member, title="最初の話題")
    response = member_client.get(HOME)
    assert response.context["since"] is None
    assert response.context["new_threads"] == []
    assert _titles(response.context["latest_threads"]) == ["最初の話題"]


def test_new_threads_are_those_active_since_the_last_visit_newest_first(
    member_client, member, other_member, make_thread
):
    old = make_thread(author=other_member, title="前からある話題")
    newer = make_thread(author=other_member, title="新しい話題")
    newest = make_thread(author=other_member, title="もっと新しい話題")
    _active(old, hours_ago=10)
    _active(newer, hours_ago=2)
    _active(newest, hours_ago=1)
    _visited(member, hours_ago=5)
    response = member_client.get(HOME)
    assert _titles(response.context["new_threads"]) == [
        "もっと新しい話題",
        "新しい話題",
    ]
    assert response.context["latest_threads"] == []
    assert "前からある話題" not in response.content.decode()


def test_with_nothing_new_the_latest_threads_are_shown_instead(
    member_client, member, other_member, make_thread
):
    thread = make_thread(author=other_member, title="前からある話題")
    _active(thread, hours_ago=10)
    _visited(member, hours_ago=5)
    response = member_client.get(HOME)
    assert response.context["new_threads"] == []
    assert _titles(response.context["latest_threads"]) == ["前からある話題"]
    assert "前回の訪問以降、新しい投稿はありません" in response.content.decode()


def test_at_most_a_page_of_new_threads_is_listed(
    member_client, member, other_member, make_thread
):
    for number in range(NEW_THREADS_SHOWN + 2):
        make_thread(author=other_member, title=f"話題{number}")
    _visited(member, hours_ago=5)
    response = member_client.get(HOME)
    assert len(response.context["new_threads"]) == NEW_THREADS_SHOWN
    assert response.context["new_threads"][0].title == f"話題{NEW_THREADS_SHOWN + 1}"


def test_both_lists_come_from_one_query(
    member_client, member, other_member, make_thread, uncached
):
    """Nothing new or something new, the page makes the same queries."""
    thread = make_thread(author=other_member)
    _active(thread, hours_ago=10)
    _visited(member, hours_ago=5)
    member_client.get(HOME)  # the visit is recorded; "since" stays
    with CaptureQueriesContext(connection) as nothing_new:
        assert not member_client.get(HOME).context["new_threads"]
    make_thread(author=other_member, title="新着")
    with CaptureQueriesContext(connection) as something_new:
        assert member_client.get(HOME).context["new_threads"]
    assert len(something_new) == len(nothing_new)
