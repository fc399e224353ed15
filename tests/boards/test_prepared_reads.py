"""The board's reads that every page makes, compiled once per process
(members/common/prepared.py): each gives what the queryset it replaced gave."""

import pytest
from django.db import connection
from django.http import Http404

from boards import permissions, selectors
from boards.models import Notification, NotificationKind, Proposal
from boards.services import collaboration, moderation, posts, watching
from members import permissions as member_permissions
from tests.factories import (
    make_category,
    make_organisation_group,
    make_user,
    make_ward,
)

pytestmark = pytest.mark.django_db


def test_a_thread_page_reads_the_thread_with_its_category_and_details(
    member, make_thread, django_assert_num_queries
):
    thread = make_thread(author=member, category="proposals")
    Proposal.objects.create(thread=thread, field=Proposal.Field.TOURISM)

    with django_assert_num_queries(1):
        read = selectors.thread_page(thread.pk)
        assert read.category.slug == "proposals"
        assert read.category.reader_group is None
        assert read.proposal.thread_id == thread.pk


def test_a_thread_without_details_is_known_to_have_none(
    member, make_thread, django_assert_num_queries
):
    thread = make_thread(author=member, category="other")
    read = selectors.thread_page(thread.pk)

    with django_assert_num_queries(0):
        for name in selectors.THREAD_DETAILS:
            assert getattr(read, name, None) is None


def test_a_thread_page_reads_the_categorys_reader_group(member, make_thread):
    group = make_organisation_group(organisations=[member.organisation])
    make_category(slug="hokuriku", readers="group", reader_group=group)
    thread = make_thread(author=member, category="hokuriku")

    assert selectors.thread_page(thread.pk).category.reader_group.name == group.name


def test_a_missing_thread_is_not_found(db):
    with pytest.raises(Http404):
        selectors.thread_page(10**9)


def test_reader_marks_are_the_readers_own(member, other_member, make_thread):
    thread = make_thread(author=member)
    watching.watch(user=member, thread=thread)
    posts.thread_mark_read(thread=thread, user=member, position=0)

    mine = selectors.reader_marks(member, thread)
    theirs = selectors.reader_marks(other_member, thread)

    assert (mine.last_read, mine.is_watching) == (0, True)
    assert (theirs.last_read, theirs.is_watching) == (None, False)


def test_interested_organisations_are_named_in_the_order_they_said_so(
    member, ward_staff, make_thread
):
    thread = make_thread(author=member)
    other_ward = make_user(
        email="ward2@example.jp",
        organisation=make_ward(name="港区"),
        role=member_permissions.WARD_STAFF,
    )
    collaboration.interest_mark(thread=thread, actor=other_ward)
    collaboration.interest_mark(thread=thread, actor=ward_staff)

    named = [i.organisation.full_name for i in selectors.interested(thread)]
    assert named == ["港区", ward_staff.organisation.full_name]


def test_thread_rows_leave_out_hidden_threads_for_members_only(
    member, ward_staff, make_thread
):
    shown = make_thread(author=member, title="見える")
    hidden = make_thread(author=member, title="隠す")
    moderation.thread_hide(thread=hidden, actor=ward_staff)

    assert [row.pk for row in selectors.thread_rows(member)] == [shown.pk]
    assert {row.pk for row in selectors.thread_rows(ward_staff)} == {
        shown.pk,
        hidden.pk,
    }


def test_thread_rows_leave_out_categories_the_person_may_not_read(
    member, ward_staff, make_thread
):
    make_category(slug="wards-only", readers="wards")
    for_wards = make_thread(author=ward_staff, category="wards-only")
    for_all = make_thread(author=ward_staff)

    # Both ways the rule reaches the query: by the ids this request read,
    # and by the rule itself.
    assert [row.pk for row in selectors.thread_rows(member)] == [for_all.pk]
    permissions.readable_category_list(member)
    assert [row.pk for row in selectors.thread_rows(member)] == [for_all.pk]
    assert for_wards.pk in {row.pk for row in selectors.thread_rows(ward_staff)}


def test_the_unread_count_leaves_out_threads_the_person_may_not_see(
    member, other_member, ward_staff, make_thread, make_reply
):
    thread = make_thread(author=member)
    reply = make_reply(thread=thread, author=other_member)
    Notification.objects.create(
        user=member,
        kind=NotificationKind.REPLY,
        thread=thread,
        post=reply,
        mail="never",
    )
    assert selectors.unread_count(member) == 1

    moderation.thread_hide(thread=thread, actor=ward_staff)
    assert selectors.unread_count(member) == 0


def prepared_statements():
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [statement for (statement,) in cursor.fetchall()]


@pytest.fixture
def none_prepared():
    """A connection with no statement prepared (psycopg forgets its own too)."""
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")


def test_the_statements_are_prepared_on_the_server(settings, member, none_prepared):
    settings.RENKEI_PREPARED_STATEMENTS = True
    selectors.unread_count(member)

    assert any('FROM "boards_notification"' in s for s in prepared_statements())


def test_without_server_statements_nothing_is_prepared(settings, member, none_prepared):
    settings.RENKEI_PREPARED_STATEMENTS = False
    selectors.unread_count(member)

    assert not any('FROM "boards_notification"' in s for s in prepared_statements())
