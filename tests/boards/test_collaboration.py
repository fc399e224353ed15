import datetime
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from boards.forms import ThreadForm
from boards.models import (
    Addressee,
    Category,
    EventDetails,
    Interest,
    PamphletRequest,
    Proposal,
    ProposalStatusChange,
    Thread,
)
from boards.services import collaboration
from members import permissions
from tests.factories import make_organisation, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def chiyoda():
    return make_organisation(name="千代田区", kind="special_ward")


@pytest.fixture
def minato():
    return make_organisation(name="港区", kind="special_ward")


@pytest.fixture
def chiyoda_staff(chiyoda):
    return make_user(
        organisation=chiyoda, role=permissions.WARD_STAFF, email="c@example.jp"
    )


@pytest.fixture
def minato_staff(minato):
    return make_user(
        organisation=minato, role=permissions.WARD_STAFF, email="m@example.jp"
    )


@pytest.fixture(autouse=True)
def _no_staff_mfa(settings):
    settings.RENKEI_REQUIRE_STAFF_MFA = False


def propose(author, wards=(), all_wards=False, field="tourism"):
    return collaboration.thread_start(
        category=Category.objects.get(slug="proposals"),
        author=author,
        title="物産展の共同開催のご提案",
        body="ご提案です。",
        details={"field": field},
        wards=wards,
        all_wards=all_wards,
    )


# ----- structured threads -----


def test_member_posts_a_proposal_to_chosen_wards(
    member_client, member, chiyoda, minato
):
    response = member_client.post(
        reverse("boards:thread_create", args=["proposals"]),
        {
            "title": "物産展の共同開催",
            "body": "ご提案です。",
            "details-field": "tourism",
            "to-wards": [chiyoda.pk],
        },
    )
    thread = Thread.objects.get()
    assert response.status_code == 302
    assert thread.proposal.field == "tourism"
    assert thread.proposal.status == Proposal.Status.OPEN
    assert list(thread.addressees.values_list("organisation", flat=True)) == [
        chiyoda.pk
    ]


def test_a_proposal_to_all_wards_addresses_every_member_ward(
    member_client, member, chiyoda, minato
):
    member_client.post(
        reverse("boards:thread_create", args=["proposals"]),
        {
            "title": "全区への提案",
            "body": "本文",
            "details-field": "culture",
            "to-all_wards": "on",
        },
    )
    thread = Thread.objects.get()
    assert thread.addressed_to_all_wards
    assert set(thread.addressees.values_list("organisation", flat=True)) == {
        chiyoda.pk,
        minato.pk,
    }


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"details-field": "tourism"}, "宛先の区を選ぶか"),
        ({"to-all_wards": "on"}, "このフィールドは必須です"),
        ({"details-field": "unknown", "to-all_wards": "on"}, "正しく選択してください"),
    ],
)
def test_incomplete_proposals_are_refused_and_nothing_is_saved(
    member_client, chiyoda, data, message
):
    response = member_client.post(
        reverse("boards:thread_create", args=["proposals"]),
        {"title": "提案", "body": "本文", **data},
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Thread.objects.exists()
    assert not Proposal.objects.exists()


def test_event_with_dates_place_and_deadline(member_client):
    response = member_client.post(
        reverse("boards:thread_create", args=["participation"]),
        {
            "title": "ふるさと祭りへの出展",
            "body": "本文",
            "details-starts_on": "2026-10-10",
            "details-ends_on": "2026-10-11",
            "details-place": "日比谷公園",
            "details-application_deadline": "2026-09-01",
            "details-contact": "観光課 03-0000-0000",
        },
    )
    assert response.status_code == 302
    event = EventDetails.objects.get()
    assert (event.starts_on, event.place) == (datetime.date(2026, 10, 10), "日比谷公園")
    page = member_client.get(response["Location"]).content.decode()
    assert "令和8年10月10日" in page and "日比谷公園" in page


@pytest.mark.parametrize(
    ("dates", "message"),
    [
        (
            {"details-starts_on": "2026-10-11", "details-ends_on": "2026-10-10"},
            "最終日",
        ),
        (
            {
                "details-starts_on": "2026-10-10",
                "details-ends_on": "2026-10-10",
                "details-application_deadline": "2026-11-01",
            },
            "申込締切",
        ),
    ],
)
def test_event_dates_out_of_order_are_refused(member_client, dates, message):
    response = member_client.post(
        reverse("boards:thread_create", args=["participation"]),
        {"title": "イベント", "body": "本文", "details-place": "会場", **dates},
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Thread.objects.exists()


def test_pamphlet_request_needs_a_pdf(member_client, chiyoda):
    response = member_client.post(
        reverse("boards:thread_create", args=["pamphlets"]),
        {
            "title": "パンフレット配布のお願い",
            "body": "本文",
            "details-copies": "200",
            "details-wished_from": "2026-06-01",
            "details-wished_until": "2026-08-31",
            "details-placements": ["facilities", "counters"],
            "to-wards": [chiyoda.pk],
        },
    )
    assert response.status_code == 200
    assert "PDF" in response.content.decode()
    assert not Thread.objects.exists()
    assert not PamphletRequest.objects.exists()


def test_the_thread_form_asks_for_a_pdf_only_for_a_pamphlet():
    data = {"title": "パンフレット配布のお願い", "body": "本文"}
    pamphlet = ThreadForm(data, pdf_required=True)
    assert not pamphlet.is_valid()
    assert pamphlet.errors.as_data()["attachments"][0].code == "no_pamphlet"
    assert ThreadForm(data).is_valid()


# ----- wards' answers -----


def test_opening_by_ward_staff_marks_their_ward_read(
    client, member, chiyoda, chiyoda_staff, minato
):
    thread = propose(member, wards=[chiyoda, minato])
    client.force_login(chiyoda_staff)
    client.get(reverse("boards:thread", args=[thread.pk]))
    states = dict(thread.addressees.values_list("organisation", "state"))
    assert states == {chiyoda.pk: "read", minato.pk: "unread"}


def test_ward_answers_and_the_author_sees_the_table(
    client, member, chiyoda, chiyoda_staff
):
    thread = propose(member, wards=[chiyoda])
    client.force_login(chiyoda_staff)
    response = client.post(
        reverse("boards:answer", args=[thread.pk]),
        {"state": "interested", "comment": "会場を調整します。"},
    )
    assert response.status_code == 302
    addressee = Addressee.objects.get()
    assert (addressee.state, addressee.answered_by) == ("interested", chiyoda_staff)
    client.force_login(member)
    page = client.get(reverse("boards:thread", args=[thread.pk]) + "?page=1")
    content = page.content.decode()
    assert "各区の回答" in content and "会場を調整します。" in content


def test_other_members_do_not_see_the_answers_table(
    client, member, other_member, chiyoda
):
    thread = propose(member, wards=[chiyoda])
    client.force_login(other_member)
    content = client.get(reverse("boards:thread", args=[thread.pk]) + "?page=1")
    assert "各区の回答" not in content.content.decode()


def test_a_ward_cannot_answer_for_another_ward(client, member, chiyoda, minato_staff):
    thread = propose(member, wards=[chiyoda])
    client.force_login(minato_staff)
    response = client.post(
        reverse("boards:answer", args=[thread.pk]), {"state": "declined"}
    )
    assert response.status_code == 404
    assert Addressee.objects.get().state == "unread"


def test_a_pamphlet_answer_is_not_valid_for_a_proposal(
    client, member, chiyoda, chiyoda_staff
):
    thread = propose(member, wards=[chiyoda])
    client.force_login(chiyoda_staff)
    client.post(reverse("boards:answer", args=[thread.pk]), {"state": "accept"})
    assert Addressee.objects.get().state == "unread"


def test_addressed_page_lists_unanswered_first_oldest_first(
    client, member, chiyoda, chiyoda_staff
):
    first = propose(member, wards=[chiyoda])
    second = propose(member, wards=[chiyoda])
    third = propose(member, wards=[chiyoda])
    Thread.objects.filter(pk=first.pk).update(
        created_at=first.created_at - datetime.timedelta(days=3)
    )
    collaboration.addressee_answer(
        addressee=second.addressees.get(), actor=chiyoda_staff, state="declined"
    )
    client.force_login(chiyoda_staff)
    response = client.get(reverse("boards:addressed"))
    order = [a.thread.pk for a in response.context["addressees"]]
    assert order == [first.pk, third.pk, second.pk]
    assert response.context["unanswered"] == 2


def test_addressed_page_has_a_flat_query_count(
    client, member, chiyoda, chiyoda_staff, django_assert_max_num_queries
):
    client.force_login(chiyoda_staff)
    propose(member, wards=[chiyoda])
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("boards:addressed"))
    for _ in range(15):
        propose(member, wards=[chiyoda])
    with django_assert_max_num_queries(len(few)):
        client.get(reverse("boards:addressed"))


# ----- interest -----


def test_interest_is_marked_once_per_organisation(client, member, other_member):
    thread = propose(member)
    client.force_login(other_member)
    url = reverse("boards:interest", args=[thread.pk])
    client.post(url)
    response = client.post(url, follow=True)
    assert "すでに関心ありを登録しています" in response.content.decode()
    assert Interest.objects.count() == 1


def test_own_organisation_cannot_mark_interest(member_client, member):
    thread = propose(member)
    response = member_client.post(reverse("boards:interest", args=[thread.pk]))
    assert response.status_code == 403
    assert not Interest.objects.exists()


def test_the_author_sees_which_organisations_are_interested(
    client, member, other_member
):
    thread = propose(member)
    collaboration.interest_mark(thread=thread, actor=other_member)
    client.force_login(member)
    content = client.get(reverse("boards:thread", args=[thread.pk]) + "?page=1")
    assert other_member.organisation.full_name in content.content.decode()


def test_toggling_interest_too_often_is_refused_politely(client, member, other_member):
    thread = propose(member)
    client.force_login(other_member)
    url = reverse("boards:interest", args=[thread.pk])
    for number in range(6):
        client.post(url, {"withdraw": "1"} if number % 2 else {})
    assert not Interest.objects.exists()
    response = client.post(url, follow=True)
    assert response.status_code == 200
    assert "短時間に何度も変更されたため" in response.content.decode()
    assert not Interest.objects.exists()


def test_the_interest_limit_counts_each_thread_on_its_own(client, member, other_member):
    first, second = propose(member), propose(member)
    client.force_login(other_member)
    for number in range(6):
        data = {"withdraw": "1"} if number % 2 else {}
        client.post(reverse("boards:interest", args=[first.pk]), data)
    client.post(reverse("boards:interest", args=[second.pk]))
    assert list(Interest.objects.values_list("thread", flat=True)) == [second.pk]


# ----- proposal status -----


def test_author_moves_the_proposal_on_with_history(member_client, member):
    thread = propose(member)
    member_client.post(
        reverse("boards:proposal_status", args=[thread.pk]), {"status": "coordinating"}
    )
    member_client.post(
        reverse("boards:proposal_status", args=[thread.pk]), {"status": "realised"}
    )
    proposal = Proposal.objects.get()
    assert proposal.status == "realised"
    assert proposal.realised_on is not None
    steps = list(ProposalStatusChange.objects.values_list("old_status", "new_status"))
    assert steps == [("open", "coordinating"), ("coordinating", "realised")]


def test_a_status_cannot_skip_coordination(member_client, member):
    thread = propose(member)
    member_client.post(
        reverse("boards:proposal_status", args=[thread.pk]), {"status": "realised"}
    )
    assert Proposal.objects.get().status == "open"


def test_another_organisation_cannot_change_the_status(client, member, other_member):
    thread = propose(member)
    client.force_login(other_member)
    response = client.post(
        reverse("boards:proposal_status", args=[thread.pk]), {"status": "closed"}
    )
    assert response.status_code == 403
    assert Proposal.objects.get().status == "open"


def test_office_can_change_any_status(client, member, office_staff):
    thread = propose(member)
    client.force_login(office_staff)
    client.post(
        reverse("boards:proposal_status", args=[thread.pk]), {"status": "closed"}
    )
    assert Proposal.objects.get().status == "closed"


# ----- fiscal years and the office's export -----


def test_category_filters_by_fiscal_year(member_client, member):
    old = propose(member)
    new = propose(member)
    Thread.objects.filter(pk=old.pk).update(
        created_at=datetime.datetime(2025, 3, 31, 12, tzinfo=datetime.UTC)
    )
    Thread.objects.filter(pk=new.pk).update(
        created_at=datetime.datetime(2025, 4, 1, 12, tzinfo=datetime.UTC)
    )
    response = member_client.get(
        reverse("boards:category", args=["proposals"]) + "?fy=2025"
    )
    assert [thread.pk for thread in response.context["page"].rows] == [new.pk]


def test_office_exports_realised_collaborations_by_year_and_ward(
    client, member, chiyoda, chiyoda_staff, office_staff
):
    thread = propose(member, wards=[chiyoda])
    collaboration.addressee_answer(
        addressee=thread.addressees.get(), actor=chiyoda_staff, state="interested"
    )
    proposal = thread.proposal
    collaboration.proposal_set_status(
        proposal=proposal, actor=member, status="coordinating"
    )
    collaboration.proposal_set_status(
        proposal=proposal, actor=member, status="realised"
    )
    client.force_login(office_staff)
    response = client.get(reverse("boards:realised_export"))
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook.worksheets[0]
    assert sheet.title.endswith("年度")
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "特別区"
    assert rows[1][:4] == (
        "千代田区",
        member.organisation.full_name,
        thread.title,
        "観光",
    )


def test_members_cannot_export(member_client):
    assert member_client.get(reverse("boards:realised_export")).status_code == 403


def test_export_neutralises_formulas(client, member, office_staff):
    thread = collaboration.thread_start(
        category=Category.objects.get(slug="proposals"),
        author=member,
        title='=HYPERLINK("http://evil")',
        body="本文",
        details={"field": "other"},
    )
    Proposal.objects.filter(thread=thread).update(
        status="realised", realised_on=datetime.date(2026, 5, 1)
    )
    client.force_login(office_staff)
    response = client.get(reverse("boards:realised_export"))
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert sheet["C2"].value.startswith("'=")


def test_mailing_everyone_needs_an_important_announcement(client, office_staff):
    client.force_login(office_staff)
    response = client.post(
        reverse("boards:thread_create", args=["announcements"]),
        {"title": "お知らせ", "body": "本文", "details-mail_everyone": "on"},
    )
    assert response.status_code == 200
    assert "重要なお知らせの場合のみ" in response.content.decode()
    assert not Thread.objects.exists()


@pytest.mark.parametrize("fy", ["-1", str(10**30), "９" * 30, "9999", "abc", "2013"])
def test_export_of_a_year_the_project_never_had_gives_every_year(
    client, office_staff, fy
):
    client.force_login(office_staff)
    response = client.get(reverse("boards:realised_export"), {"fy": fy})
    assert response.status_code == 200
    assert "realised-collaborations-all.xlsx" in response["Content-Disposition"]


def test_export_of_one_year(client, office_staff):
    client.force_login(office_staff)
    response = client.get(reverse("boards:realised_export"), {"fy": "2024"})
    assert response.status_code == 200
    assert "realised-collaborations-2024.xlsx" in response["Content-Disposition"]
