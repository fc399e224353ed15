"""The board's permission predicates, as tables of person × state → allowed.

"author" wrote the thread and the reply; "member" is staff of another member
city; "ward" and "office" are the moderators; "suspended" is staff of a
member city whose membership is suspended.
"""

from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from boards import permissions
from boards.models import Category, Post, Thread
from members.models import MembershipStatus
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(member, other_member, ward_staff, office_staff):
    suspended = factories.make_organisation(
        membership_status=MembershipStatus.SUSPENDED
    )
    return {
        "author": other_member,
        "member": member,
        "ward": ward_staff,
        "office": office_staff,
        "suspended": factories.make_user(
            email="suspended@example.jp", organisation=suspended
        ),
    }


@pytest.fixture
def thread(make_thread, other_member):
    return make_thread(author=other_member, title="観光物産展への出展について")


@pytest.fixture
def reply(thread, make_reply, other_member):
    return make_reply(thread=thread, author=other_member, body="出展料の一覧です。")


def _in_state(thread, state):
    thread.is_locked = state == "locked"
    thread.is_hidden = state == "hidden"
    return thread


def _post_in_state(post, state):
    post.is_hidden = state == "hidden post"
    post.is_deleted = state == "deleted post"
    _in_state(
        post.thread, {"locked thread": "locked", "hidden thread": "hidden"}.get(state)
    )
    return post


# ----- roles -----


@pytest.mark.parametrize(
    ("who", "moderate", "export"),
    [
        ("author", False, False),
        ("member", False, False),
        ("ward", True, False),
        ("office", True, True),
        ("suspended", False, False),
    ],
)
def test_role_rights(people, who, moderate, export):
    user = people[who]
    assert permissions.can_moderate(user) is moderate
    assert permissions.is_moderator(user) is moderate
    assert permissions.can_export_collaborations(user) is export


@pytest.mark.parametrize(
    ("who", "members_category", "staff_category"),
    [
        ("member", True, False),
        ("ward", True, True),
        ("office", True, True),
        ("suspended", False, False),
    ],
)
def test_can_start_thread(people, who, members_category, staff_category):
    user = people[who]
    proposals = Category.objects.get(slug="proposals")
    announcements = Category.objects.get(slug="announcements")
    assert permissions.can_start_thread(user, proposals) is members_category
    assert permissions.can_start_thread(user, announcements) is staff_category


# ----- threads -----


@pytest.mark.parametrize(
    ("predicate", "state", "who", "allowed"),
    [
        ("can_view_thread", "open", "member", True),
        ("can_view_thread", "open", "suspended", False),
        ("can_view_thread", "locked", "member", True),
        ("can_view_thread", "hidden", "author", False),
        ("can_view_thread", "hidden", "member", False),
        ("can_view_thread", "hidden", "ward", True),
        ("can_view_thread", "hidden", "office", True),
        ("can_reply", "open", "member", True),
        ("can_reply", "open", "suspended", False),
        ("can_reply", "locked", "member", False),
        ("can_reply", "locked", "ward", False),
        ("can_reply", "hidden", "member", False),
        ("can_reply", "hidden", "ward", False),
        ("can_mark_interest", "open", "member", True),
        ("can_mark_interest", "open", "author", False),
        ("can_mark_interest", "open", "suspended", False),
        ("can_mark_interest", "locked", "member", True),
        ("can_mark_interest", "hidden", "member", False),
        ("can_mark_interest", "hidden", "ward", False),
        ("can_change_proposal_status", "open", "author", True),
        ("can_change_proposal_status", "open", "member", False),
        ("can_change_proposal_status", "open", "ward", False),
        ("can_change_proposal_status", "open", "office", True),
        ("can_see_answers", "open", "author", True),
        ("can_see_answers", "open", "member", False),
        ("can_see_answers", "open", "ward", False),
        ("can_see_answers", "open", "office", True),
    ],
)
def test_thread_predicates(people, thread, predicate, state, who, allowed):
    check = getattr(permissions, predicate)
    assert check(people[who], _in_state(thread, state)) is allowed


# ----- posts -----


@pytest.mark.parametrize(
    ("predicate", "state", "who", "allowed"),
    [
        ("can_edit_post", "open", "author", True),
        ("can_edit_post", "open", "member", False),
        ("can_edit_post", "open", "ward", False),
        ("can_edit_post", "hidden post", "author", False),
        ("can_edit_post", "deleted post", "author", False),
        ("can_edit_post", "locked thread", "author", False),
        ("can_edit_post", "hidden thread", "author", False),
        ("can_delete_post", "open", "author", True),
        ("can_delete_post", "open", "member", False),
        ("can_delete_post", "locked thread", "author", False),
        ("can_delete_post", "hidden post", "author", False),
        ("can_read_post", "open", "member", True),
        ("can_read_post", "open", "suspended", False),
        ("can_read_post", "locked thread", "member", True),
        ("can_read_post", "hidden post", "author", False),
        ("can_read_post", "hidden post", "member", False),
        ("can_read_post", "hidden post", "ward", True),
        ("can_read_post", "hidden post", "office", True),
        ("can_read_post", "deleted post", "author", False),
        ("can_read_post", "deleted post", "ward", False),
        ("can_read_post", "hidden thread", "member", False),
        ("can_read_post", "hidden thread", "ward", True),
        ("can_see_revisions", "open", "member", True),
        ("can_see_revisions", "hidden post", "member", False),
        ("can_see_revisions", "hidden post", "ward", True),
        ("can_see_revisions", "deleted post", "ward", False),
        ("can_report", "open", "member", True),
        ("can_report", "open", "author", False),
        ("can_report", "open", "suspended", False),
        ("can_report", "locked thread", "member", True),
        ("can_report", "hidden post", "member", False),
        ("can_report", "deleted post", "member", False),
        ("can_report", "hidden thread", "member", False),
        ("can_report", "hidden thread", "ward", True),
    ],
)
def test_post_predicates(people, reply, predicate, state, who, allowed):
    check = getattr(permissions, predicate)
    assert check(people[who], _post_in_state(reply, state)) is allowed


@pytest.mark.parametrize(
    ("state", "who", "allowed"),
    [
        ("open", "member", True),
        ("open", "suspended", False),
        ("hidden post", "member", False),
        ("hidden post", "ward", True),
        ("deleted post", "ward", False),
        ("hidden thread", "member", False),
        ("hidden thread", "office", True),
    ],
)
def test_files_go_with_their_post(people, reply, state, who, allowed):
    attachment = SimpleNamespace(post=_post_in_state(reply, state))
    assert permissions.can_download_attachment(people[who], attachment) is allowed


# ----- addressed wards -----


@pytest.mark.parametrize(
    ("who", "state", "allowed"),
    [
        ("ward", "open", True),
        ("ward", "hidden", False),
        ("member", "open", False),
        ("office", "open", False),
    ],
)
def test_staff_of_an_addressed_ward_answer_for_it(people, thread, who, state, allowed):
    addressee = SimpleNamespace(
        organisation_id=people["ward"].organisation_id, thread=_in_state(thread, state)
    )
    assert permissions.can_answer_for(people[who], addressee) is allowed


# ----- fetch and check: 404 for what one may not see, 403 for the rest -----


def _outcome(fetch):
    try:
        fetch()
    except Http404:
        return 404
    except PermissionDenied:
        return 403
    return 200


@pytest.mark.parametrize(
    ("state", "who", "for_reply", "status"),
    [
        ("open", "member", True, 200),
        ("locked", "member", False, 200),
        ("locked", "member", True, 403),
        ("hidden", "member", False, 404),
        ("hidden", "member", True, 404),
        ("hidden", "ward", False, 200),
        ("hidden", "ward", True, 403),
    ],
)
def test_access_thread(people, thread, state, who, for_reply, status):
    Thread.objects.filter(pk=thread.pk).update(
        is_locked=state == "locked", is_hidden=state == "hidden"
    )
    assert (
        _outcome(
            lambda: permissions.access_thread(
                people[who], thread.pk, for_reply=for_reply
            )
        )
        == status
    )


@pytest.mark.parametrize(
    ("state", "who", "need", "status"),
    [
        ("open", "author", "for_edit", 200),
        ("open", "member", "for_edit", 403),
        ("open", "member", "for_report", 200),
        ("open", "author", "for_report", 403),
        ("open", "member", "for_revisions", 200),
        ("hidden post", "member", "for_revisions", 404),
        ("hidden post", "member", "for_report", 403),
        ("hidden post", "ward", "for_revisions", 200),
        ("hidden thread", "author", "for_edit", 404),
        ("hidden thread", "member", "for_report", 404),
        ("hidden thread", "ward", "for_edit", 403),
    ],
)
def test_access_post(people, reply, state, who, need, status):
    Post.objects.filter(pk=reply.pk).update(is_hidden=state == "hidden post")
    Thread.objects.filter(pk=reply.thread_id).update(is_hidden=state == "hidden thread")
    assert (
        _outcome(lambda: permissions.access_post(people[who], reply.pk, **{need: True}))
        == status
    )


def test_access_to_a_missing_thread_or_post_is_404(member):
    assert _outcome(lambda: permissions.access_thread(member, 0)) == 404
    assert _outcome(lambda: permissions.access_post(member, 0)) == 404
    assert _outcome(lambda: permissions.access_attachment(member, 0)) == 404
