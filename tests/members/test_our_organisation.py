"""「自団体のページ」: an organisation's threads, what it must answer, its open
items and its staff."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from boards.models import Addressee, Category, Thread
from boards.services import collaboration, inquiries
from members.models import MembershipStatus, Organisation
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_staff_mfa(settings):
    settings.RENKEI_REQUIRE_STAFF_MFA = False


def url(organisation):
    return reverse("boards:organisation_dashboard", args=[organisation.pk])


def propose(author, *, wards=(), title="物産展の共同開催のご提案"):
    return collaboration.thread_start(
        category=Category.objects.get(slug="proposals"),
        author=author,
        title=title,
        body="ご提案です。",
        details={"field": "tourism"},
        wards=wards,
    )


def overview(client, organisation):
    response = client.get(url(organisation))
    assert response.status_code == 200
    return response.context["overview"]


# ----- who may open it -----


def test_anonymous_is_sent_to_sign_in(client, member):
    response = client.get(url(member.organisation))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_another_organisation_gets_404(client, member, other_member):
    client.force_login(other_member)
    assert client.get(url(member.organisation)).status_code == 404


def test_ward_staff_of_another_organisation_get_404(client, member, ward_staff):
    client.force_login(ward_staff)
    assert client.get(url(member.organisation)).status_code == 404


def test_staff_of_a_suspended_organisation_get_403(client, member):
    Organisation.objects.filter(pk=member.organisation.pk).update(
        membership_status=MembershipStatus.SUSPENDED
    )
    client.force_login(member)
    assert client.get(url(member.organisation)).status_code == 403


def test_the_office_may_open_any_organisation_page(client, office_staff, member):
    client.force_login(office_staff)
    assert client.get(url(member.organisation)).status_code == 200


def test_the_site_menu_links_to_the_page(member_client, member):
    response = member_client.get(reverse("members:directory"))
    assert f'href="{url(member.organisation)}"' in response.content.decode()


# ----- what it shows -----


def test_threads_by_any_of_its_staff_are_listed(
    member_client, member, make_user, other_member
):
    colleague = make_user(organisation=member.organisation)
    ours = factories.make_thread(author=colleague, title="同僚のスレッド")
    factories.make_thread(author=other_member, title="他団体のスレッド")
    threads = overview(member_client, member.organisation).threads
    assert [thread.pk for thread in threads] == [ours.pk]


def test_hidden_threads_are_not_listed_for_members(member_client, member):
    thread = factories.make_thread(author=member)
    Thread.objects.filter(pk=thread.pk).update(is_hidden=True)
    assert overview(member_client, member.organisation).threads == []


def test_a_ward_sees_addressed_threads_it_has_not_answered(client, member, ward_staff):
    ward = ward_staff.organisation
    waiting = propose(member, wards=[ward], title="未回答の提案")
    answered = propose(member, wards=[ward], title="回答済みの提案")
    collaboration.addressee_answer(
        addressee=Addressee.objects.get(thread=answered, organisation=ward),
        actor=ward_staff,
        state=Addressee.State.INTERESTED,
    )
    client.force_login(ward_staff)
    due = overview(client, ward).answers_due
    assert [addressee.thread_id for addressee in due] == [waiting.pk]


def test_a_member_that_is_not_a_ward_has_no_answers_section(member_client, member):
    response = member_client.get(url(member.organisation))
    assert response.context["overview"].is_ward is False
    assert "自団体あてで未回答のスレッド" not in response.content.decode()


def test_inquiries_not_yet_answered_before_the_deadline_are_listed(
    member_client, member, office_staff
):
    due = factories.make_inquiry(
        sender=office_staff, organisations=[member.organisation], title="回答待ち"
    )
    answered = factories.make_inquiry(
        sender=office_staff, organisations=[member.organisation], title="回答済み"
    )
    inquiries.answer_save(
        inquiry=answered,
        organisation=member.organisation,
        actor=member,
        values={},
        submit=True,
        not_applicable=True,
    )
    factories.make_inquiry(
        sender=office_staff, organisations=[member.organisation], send=False
    )
    listed = overview(member_client, member.organisation).inquiries_due
    assert [recipient.inquiry_id for recipient in listed] == [due.pk]


def test_open_proposals_show_status_and_interest(member_client, member, ward_staff):
    proposal = propose(member).proposal
    collaboration.interest_mark(thread=proposal.thread, actor=ward_staff)
    closed = propose(member, title="終了した提案").proposal
    collaboration.proposal_set_status(proposal=closed, actor=member, status="closed")
    response = member_client.get(url(member.organisation))
    (listed,) = response.context["overview"].proposals
    assert (listed.pk, listed.interest_count) == (proposal.pk, 1)
    assert "募集中" in response.content.decode()


def test_events_it_organises_show_sign_up_counts(member_client, member, other_member):
    event = factories.make_event(author=member)
    factories.open_registration(event=event, capacity=1)
    factories.sign_up(event=event, actor=other_member, name="参加 一郎")
    factories.sign_up(event=event, actor=other_member, name="参加 二郎")
    factories.make_event(
        author=member,
        title="終わったイベント",
        starts_on=timezone.localdate() - datetime.timedelta(days=10),
    )
    (listed,) = overview(member_client, member.organisation).events
    assert (listed.pk, listed.confirmed_count, listed.waiting_count) == (
        event.pk,
        1,
        1,
    )


def test_inquiry_drafts_are_listed(member_client, member, other_member):
    draft = factories.make_inquiry(
        sender=member, organisations=[other_member.organisation], send=False
    )
    factories.make_inquiry(sender=member, organisations=[other_member.organisation])
    drafts = overview(member_client, member.organisation).inquiry_drafts
    assert [inquiry.pk for inquiry in drafts] == [draft.pk]


def test_active_staff_are_listed_with_a_link_to_the_staff_page(
    member_client, member, make_user
):
    colleague = make_user(organisation=member.organisation, display_name="同僚 次郎")
    leaver = make_user(organisation=member.organisation, display_name="退職 三郎")
    type(leaver).objects.filter(pk=leaver.pk).update(is_active=False)
    response = member_client.get(url(member.organisation))
    staff = response.context["overview"].staff
    assert {person.pk for person in staff} == {member.pk, colleague.pk}
    staff_url = reverse("members:organisation_staff", args=[member.organisation.pk])
    assert staff_url in response.content.decode()


def fill(member, ward_staff, other_member, office_staff, count):
    ward = ward_staff.organisation
    for number in range(count):
        thread = propose(member, wards=[ward], title=f"提案{number}")
        collaboration.interest_mark(thread=thread, actor=ward_staff)
        event = factories.make_event(author=member, title=f"イベント{number}")
        factories.open_registration(event=event)
        factories.sign_up(event=event, actor=other_member, name=f"参加{number}")
        factories.make_inquiry(sender=office_staff, organisations=[member.organisation])
        factories.make_inquiry(sender=member, organisations=[ward], send=False)


def test_query_count_stays_flat_as_rows_grow(
    client,
    member,
    ward_staff,
    other_member,
    office_staff,
    uncached,
    django_assert_max_num_queries,
):
    client.force_login(office_staff)
    pages = [url(member.organisation), url(ward_staff.organisation)]
    fill(member, ward_staff, other_member, office_staff, 1)
    counts = []
    for page in pages:
        with CaptureQueriesContext(connection) as one:
            client.get(page)
        counts.append(len(one.captured_queries))
    fill(member, ward_staff, other_member, office_staff, 5)
    with django_assert_max_num_queries(counts[0]):
        response = client.get(pages[0])
    assert len(response.context["overview"].proposals) == 6
    with django_assert_max_num_queries(counts[1]):
        response = client.get(pages[1])
    assert len(response.context["overview"].answers_due) == 6
