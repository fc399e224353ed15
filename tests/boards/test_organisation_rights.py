"""What a thread's author may do, the author's organisation may do."""

import datetime

import pytest
from django.urls import reverse

from boards import permissions as board_permissions
from boards.models import (
    Category,
    EventDetails,
    ModerationLog,
    PamphletRequest,
    Proposal,
    ProposalStatusChange,
    Thread,
)
from boards.services import collaboration
from members import permissions
from members.services import accounts
from tests.factories import make_event, make_organisation, make_reply, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_staff_mfa(settings):
    settings.RENKEI_REQUIRE_STAFF_MFA = False


@pytest.fixture
def chiyoda():
    return make_organisation(name="千代田区", kind="special_ward")


@pytest.fixture
def chiyoda_staff(chiyoda):
    return make_user(
        organisation=chiyoda, role=permissions.WARD_STAFF, email="c@example.jp"
    )


@pytest.fixture
def colleague(member):
    return make_user(
        organisation=member.organisation,
        email="colleague@example.jp",
        display_name="佐藤 花子",
    )


@pytest.fixture
def proposal_thread(member, chiyoda):
    return collaboration.thread_start(
        category=Category.objects.get(slug="proposals"),
        author=member,
        title="物産展の共同開催のご提案",
        body="ご提案です。",
        details={"field": "tourism"},
        wards=[chiyoda],
    )


def pamphlet_thread(author, wards=()):
    return collaboration.thread_start(
        category=Category.objects.get(slug="pamphlets"),
        author=author,
        title="パンフレット配布のお願い",
        body="本文",
        details={
            "copies": 200,
            "wished_from": datetime.date(2026, 6, 1),
            "wished_until": datetime.date(2026, 8, 31),
            "placements": ["facilities"],
        },
        wards=wards,
    )


# ----- the rules -----


def _people(member, colleague, other_member, chiyoda_staff, office_staff):
    inactive = make_user(organisation=member.organisation, email="gone@example.jp")
    inactive.is_active = False
    inactive.save()
    return {
        "author": member,
        "colleague": colleague,
        "inactive colleague": inactive,
        "other organisation": other_member,
        "addressed ward": chiyoda_staff,
        "office": office_staff,
    }


RULES = {
    # rule: who may, of the people above
    "can_see_answers": {"author", "colleague", "office"},
    "can_change_proposal_status": {"author", "colleague", "office"},
    "can_edit_thread_details": {"author", "colleague", "office"},
    "can_close_thread": {"author", "colleague"},
}


@pytest.mark.parametrize("rule", sorted(RULES))
def test_each_organisation_right_allows_exactly_its_people(
    rule, member, colleague, other_member, chiyoda_staff, office_staff, proposal_thread
):
    people = _people(member, colleague, other_member, chiyoda_staff, office_staff)
    predicate = getattr(board_permissions, rule)
    allowed = {
        name for name, user in people.items() if predicate(user, proposal_thread)
    }
    assert allowed == RULES[rule]


def test_a_closed_thread_is_neither_closed_again_nor_edited(member, proposal_thread):
    Thread.objects.filter(pk=proposal_thread.pk).update(is_locked=True)
    proposal_thread.refresh_from_db()
    assert not board_permissions.can_close_thread(member, proposal_thread)
    assert not board_permissions.can_edit_thread_details(member, proposal_thread)


def test_a_colleague_still_cannot_edit_the_authors_post_text(
    client, colleague, proposal_thread
):
    first = proposal_thread.posts.get(position=0)
    assert not board_permissions.can_edit_post(colleague, first)
    client.force_login(colleague)
    response = client.get(reverse("boards:post_edit", args=[first.pk]))
    assert response.status_code == 403


# ----- answers and status -----


def test_a_colleague_sees_the_wards_answers(
    client, colleague, chiyoda_staff, proposal_thread
):
    addressee = proposal_thread.addressees.get()
    collaboration.addressee_answer(
        addressee=addressee, actor=chiyoda_staff, state="interested", comment="ぜひ"
    )
    client.force_login(colleague)
    response = client.get(reverse("boards:thread", args=[proposal_thread.pk]))
    assert response.context["can_see_answers"]
    assert "ぜひ" in response.content.decode()


def test_another_organisation_does_not_see_the_answers(
    client, other_member, chiyoda_staff, proposal_thread
):
    addressee = proposal_thread.addressees.get()
    collaboration.addressee_answer(
        addressee=addressee, actor=chiyoda_staff, state="interested", comment="ぜひ"
    )
    client.force_login(other_member)
    response = client.get(reverse("boards:thread", args=[proposal_thread.pk]))
    assert not response.context["can_see_answers"]
    assert "ぜひ" not in response.content.decode()


def test_a_colleague_changes_the_proposals_status(client, colleague, proposal_thread):
    client.force_login(colleague)
    response = client.post(
        reverse("boards:proposal_status", args=[proposal_thread.pk]),
        {"status": "coordinating"},
    )
    assert response.status_code == 302
    assert Proposal.objects.get(thread=proposal_thread).status == "coordinating"
    change = ProposalStatusChange.objects.get()
    assert change.changed_by == colleague


def test_another_organisation_cannot_change_the_status(
    client, other_member, proposal_thread
):
    client.force_login(other_member)
    response = client.post(
        reverse("boards:proposal_status", args=[proposal_thread.pk]),
        {"status": "coordinating"},
    )
    assert response.status_code == 403
    assert Proposal.objects.get(thread=proposal_thread).status == "open"
    assert not ProposalStatusChange.objects.exists()


# ----- editing details -----


def test_a_colleague_edits_an_events_details(client, member, colleague):
    event = make_event(author=member)
    client.force_login(colleague)
    url = reverse("boards:thread_details_edit", args=[event.thread_id])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "details-starts_on": event.starts_on.isoformat(),
            "details-ends_on": event.ends_on.isoformat(),
            "details-place": "区政会館 3階",
            "details-contact": "観光交流課",
        },
    )
    assert response.status_code == 302
    assert EventDetails.objects.get(pk=event.pk).place == "区政会館 3階"


def test_event_details_ending_before_they_start_save_nothing(client, member, colleague):
    event = make_event(author=member)
    client.force_login(colleague)
    response = client.post(
        reverse("boards:thread_details_edit", args=[event.thread_id]),
        {
            "details-starts_on": event.starts_on.isoformat(),
            "details-ends_on": (
                event.starts_on - datetime.timedelta(days=1)
            ).isoformat(),
            "details-place": "別の会場",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    assert EventDetails.objects.get(pk=event.pk).place == "区政会館"


def test_a_colleague_edits_a_pamphlet_requests_copies(client, member, colleague):
    thread = pamphlet_thread(member)
    client.force_login(colleague)
    response = client.post(
        reverse("boards:thread_details_edit", args=[thread.pk]),
        {
            "details-copies": "500",
            "details-wished_from": "2026-06-01",
            "details-wished_until": "2026-08-31",
            "details-placements": ["facilities", "counters"],
        },
    )
    assert response.status_code == 302
    request = PamphletRequest.objects.get(thread=thread)
    assert request.copies == 500
    assert sorted(request.placements) == ["counters", "facilities"]


def test_a_pamphlet_request_without_copies_saves_nothing(client, member, colleague):
    thread = pamphlet_thread(member)
    client.force_login(colleague)
    response = client.post(
        reverse("boards:thread_details_edit", args=[thread.pk]),
        {
            "details-copies": "",
            "details-wished_from": "2026-06-01",
            "details-wished_until": "2026-08-31",
            "details-placements": ["facilities"],
        },
    )
    assert response.status_code == 200
    assert PamphletRequest.objects.get(thread=thread).copies == 200


@pytest.mark.parametrize("who", ["other_member", "chiyoda_staff"])
def test_others_cannot_edit_the_details(request, client, member, who):
    event = make_event(author=member)
    client.force_login(request.getfixturevalue(who))
    url = reverse("boards:thread_details_edit", args=[event.thread_id])
    assert client.get(url).status_code == 403
    response = client.post(
        url,
        {
            "details-starts_on": event.starts_on.isoformat(),
            "details-ends_on": event.ends_on.isoformat(),
            "details-place": "乗っ取り",
        },
    )
    assert response.status_code == 403
    assert EventDetails.objects.get(pk=event.pk).place == "区政会館"


def test_anonymous_is_sent_to_sign_in_for_details(client, member):
    event = make_event(author=member)
    response = client.get(reverse("boards:thread_details_edit", args=[event.thread_id]))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_a_thread_without_details_has_no_details_page(member_client, member):
    thread = collaboration.thread_start(
        category=Category.objects.get(slug="other"),
        author=member,
        title="雑談",
        body="本文",
    )
    response = member_client.get(
        reverse("boards:thread_details_edit", args=[thread.pk])
    )
    assert response.status_code == 404


# ----- closing -----


def test_a_colleague_closes_the_thread_and_it_is_logged(
    client, colleague, proposal_thread
):
    client.force_login(colleague)
    response = client.post(reverse("boards:thread_close", args=[proposal_thread.pk]))
    assert response.status_code == 302
    proposal_thread.refresh_from_db()
    assert proposal_thread.is_locked
    entry = ModerationLog.objects.get(thread=proposal_thread)
    assert (entry.action, entry.actor) == (ModerationLog.Action.CLOSE, colleague)


def test_a_closed_thread_takes_no_replies(client, colleague, proposal_thread):
    client.force_login(colleague)
    client.post(reverse("boards:thread_close", args=[proposal_thread.pk]))
    response = client.post(
        reverse("boards:reply", args=[proposal_thread.pk]),
        {"body": "まだ間に合いますか"},
    )
    assert response.status_code == 403
    assert proposal_thread.posts.count() == 1


@pytest.mark.parametrize("who", ["other_member", "chiyoda_staff", "office_staff"])
def test_others_cannot_close_the_thread(request, client, who, proposal_thread):
    client.force_login(request.getfixturevalue(who))
    response = client.post(reverse("boards:thread_close", args=[proposal_thread.pk]))
    assert response.status_code == 403
    proposal_thread.refresh_from_db()
    assert not proposal_thread.is_locked
    assert not ModerationLog.objects.exists()


def test_closing_twice_is_refused(member_client, proposal_thread):
    url = reverse("boards:thread_close", args=[proposal_thread.pk])
    member_client.post(url)
    assert member_client.post(url).status_code == 403
    assert ModerationLog.objects.count() == 1


def test_anonymous_cannot_close(client, proposal_thread):
    response = client.post(reverse("boards:thread_close", args=[proposal_thread.pk]))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    proposal_thread.refresh_from_db()
    assert not proposal_thread.is_locked


def test_closing_by_get_is_refused(member_client, proposal_thread):
    url = reverse("boards:thread_close", args=[proposal_thread.pk])
    assert member_client.get(url).status_code == 405


def test_the_thread_page_offers_closing_and_details_to_the_organisation_only(
    client, colleague, other_member, member
):
    event = make_event(author=member)
    url = reverse("boards:thread", args=[event.thread_id])
    client.force_login(colleague)
    page = client.get(url).content.decode()
    assert reverse("boards:thread_close", args=[event.thread_id]) in page
    assert reverse("boards:thread_details_edit", args=[event.thread_id]) in page
    client.force_login(other_member)
    page = client.get(url).content.decode()
    assert reverse("boards:thread_close", args=[event.thread_id]) not in page
    assert reverse("boards:thread_details_edit", args=[event.thread_id]) not in page


# ----- a leaver's posts -----


def test_a_leavers_post_shows_the_organisation_and_that_they_left(
    client, member, colleague, proposal_thread
):
    accounts.staff_deactivate(user=member, actor=colleague)
    client.force_login(colleague)
    page = client.get(reverse("boards:thread", args=[proposal_thread.pk])).content
    page = page.decode()
    assert "（異動・退職済み）" in page
    assert reverse("members:organisation_detail", args=[member.organisation_id]) in page


def test_thread_page_queries_stay_flat_with_leavers(
    client, member, colleague, proposal_thread, uncached, django_assert_max_num_queries
):
    client.force_login(colleague)
    url = reverse("boards:thread", args=[proposal_thread.pk]) + "?page=1"
    with django_assert_max_num_queries(40) as few:
        client.get(url)
    for number in range(5):
        leaver = make_user(
            organisation=member.organisation, email=f"leaver{number}@example.jp"
        )
        make_reply(thread=proposal_thread, author=leaver)
        accounts.staff_deactivate(user=leaver, actor=colleague)
    with django_assert_max_num_queries(len(few)):
        client.get(url)
