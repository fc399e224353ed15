"""An organisation's 支援 and 受援 over all disasters: figures, drills kept
apart, who may read it, and queries that do not grow with the rows."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from disaster_support import services
from disaster_support.models import Dispatch, SupportMoney
from disaster_support.organisation_aid import organisation_aid
from members.models import MembershipStatus
from tests import factories

pytestmark = pytest.mark.django_db

D = datetime.date


def aid_url(organisation):
    return reverse("disaster_support:organisation_aid", args=[organisation.pk])


def send_money(disaster, *, recipient, amount, payer=None):
    """Paid a month after the disaster."""
    return services.money_create(
        disaster=disaster,
        actor=None,
        kind=SupportMoney.Kind.DONATION,
        payer=payer,
        is_joint=payer is None,
        recipient=recipient,
        amount=amount,
        paid_on=disaster.occurred_on + datetime.timedelta(days=31),
    )


def send_goods(disaster, *, payer, recipient, quantity):
    return services.goods_create(
        disaster=disaster,
        actor=None,
        item="毛布",
        quantity=quantity,
        unit="枚",
        payer=payer,
        recipient=recipient,
        sent_on=D(2024, 2, 1),
    )


@pytest.fixture
def noto(disaster, help_request, chiyoda, minato, nanao):
    """千代田区 sends two teams (3 and 2 people, 5 days each) and a cancelled
    one; 港区 sends one team of 4; money and goods both ways."""
    offer = factories.make_offer(request=help_request, sender=chiyoda)
    factories.make_dispatch(offer=offer, sender=chiyoda, seats=3)
    factories.make_dispatch(
        offer=offer,
        sender=chiyoda,
        seats=2,
        start_on=D(2024, 1, 15),
        end_on=D(2024, 1, 19),
        name="第2班",
    )
    factories.make_dispatch(
        offer=offer,
        sender=chiyoda,
        seats=6,
        name="中止班",
        status=Dispatch.Status.CANCELLED,
    )
    factories.make_dispatch(
        offer=factories.make_offer(request=help_request, sender=minato),
        sender=minato,
        seats=4,
    )
    send_money(disaster, payer=chiyoda, recipient=nanao, amount=1_000_000)
    send_money(disaster, recipient=nanao, amount=5_000_000)
    send_goods(disaster, payer=chiyoda, recipient=nanao, quantity=200)
    return disaster


def test_sent_figures_count_seats_days_money_and_goods(noto, chiyoda):
    record = organisation_aid(chiyoda)
    [row] = record.rows
    assert row.disaster_id == noto.pk
    assert (row.sent.teams, row.sent.people, row.sent.person_days) == (2, 5, 25)
    assert row.sent.money == 1_000_000
    assert row.sent.goods_text == "毛布 200枚"
    assert row.received.people == 0 and row.received.money == 0


def test_received_figures_count_every_sender_and_joint_money(noto, nanao):
    record = organisation_aid(nanao)
    [row] = record.rows
    assert (row.received.teams, row.received.people) == (3, 9)
    assert row.received.person_days == 9 * 5
    assert row.received.money == 6_000_000
    assert row.received.goods_text == "毛布 200枚"
    assert row.sent.teams == 0


def test_totals_add_up_the_disasters(noto, chiyoda, nanao, ishikawa):
    second = services.disaster_create(
        name="令和7年豪雨",
        kind="storm_flood",
        occurred_on=D(2025, 7, 1),
        prefectures=[ishikawa],
        actor=None,
    )
    other = factories.make_request(disaster=second, municipality=nanao)
    factories.make_dispatch(
        offer=factories.make_offer(request=other, sender=chiyoda),
        sender=chiyoda,
        seats=1,
        start_on=D(2025, 7, 3),
        end_on=D(2025, 7, 3),
        decided_on=D(2025, 7, 2),
    )
    record = organisation_aid(chiyoda)
    assert [row.disaster_id for row in record.rows] == [second.pk, noto.pk]
    assert record.total_sent.teams == 3
    assert record.total_sent.people == 6
    assert record.total_sent.person_days == 25 + 1
    assert record.total_sent.money == 1_000_000


def test_drills_never_count_in_the_real_figures(noto, chiyoda):
    drill = factories.make_drill()
    tokyo = drill.prefectures.first()
    setagaya = factories.make_organisation(name="世田谷区", prefecture=tokyo)
    drill_request = factories.make_request(disaster=drill, municipality=setagaya)
    factories.make_dispatch(
        offer=factories.make_offer(request=drill_request, sender=chiyoda),
        sender=chiyoda,
        seats=7,
    )
    record = organisation_aid(chiyoda)
    assert [row.disaster_id for row in record.rows] == [noto.pk]
    assert record.total_sent.people == 5
    assert [(row.disaster_id, row.sent.people) for row in record.drills] == [
        (drill.pk, 7)
    ]


def test_page_shows_the_figures_and_marks_the_drills(client, member, noto, chiyoda):
    drill = factories.make_drill()
    drill_request = factories.make_request(disaster=drill)
    factories.make_dispatch(
        offer=factories.make_offer(request=drill_request, sender=chiyoda),
        sender=chiyoda,
        seats=1,
    )
    client.force_login(member)
    response = client.get(aid_url(chiyoda))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-table="organisation-aid"' in page
    assert "1,000,000" in page
    assert 'data-table="organisation-aid-drills"' in page
    assert "【訓練】首都直下地震（訓練）" in page


def test_organisation_page_links_to_its_aid(client, member, chiyoda):
    client.force_login(member)
    page = client.get(reverse("members:organisation_detail", args=[chiyoda.pk]))
    assert aid_url(chiyoda) in page.content.decode()


def test_anonymous_visitor_is_sent_to_log_in(client, chiyoda):
    response = client.get(aid_url(chiyoda))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_account_of_a_non_member_organisation_is_refused(client, chiyoda):
    applicant = factories.make_organisation(
        name="申請中市", membership_status=MembershipStatus.APPLIED
    )
    client.force_login(factories.make_user(organisation=applicant))
    assert client.get(aid_url(chiyoda)).status_code == 403


def test_unknown_organisation_is_not_found(client, member):
    client.force_login(member)
    url = reverse("disaster_support:organisation_aid", args=[999999])
    assert client.get(url).status_code == 404


def tracker_queries(captured):
    """The queries reading the tracker's tables (the session, the account and
    the menus around the page make the others)."""
    return sum("disaster_support_" in query["sql"] for query in captured)


def test_queries_do_not_grow_with_disasters_and_teams(
    client, member, noto, chiyoda, nanao, ishikawa
):
    client.force_login(member)
    client.get(aid_url(chiyoda))
    with CaptureQueriesContext(connection) as before:
        client.get(aid_url(chiyoda))
    for year in (2025, 2026):
        more = services.disaster_create(
            name=f"{year}年地震",
            kind="earthquake",
            occurred_on=D(year, 1, 1),
            prefectures=[ishikawa],
            actor=None,
        )
        asked = factories.make_request(disaster=more, municipality=nanao)
        offer = factories.make_offer(request=asked, sender=chiyoda)
        for number in range(3):
            factories.make_dispatch(
                offer=offer,
                sender=chiyoda,
                name=f"第{number}班",
                start_on=D(year, 1, 10),
                end_on=D(year, 1, 14),
                decided_on=D(year, 1, 5),
            )
        send_money(more, payer=chiyoda, recipient=nanao, amount=10)
    with CaptureQueriesContext(connection) as after:
        page = client.get(aid_url(chiyoda)).content.decode()
    assert "2025年地震" in page and "2026年地震" in page
    assert tracker_queries(after) == tracker_queries(before) == 3
