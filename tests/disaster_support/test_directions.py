"""支援・受援 and the per-sender view of a disaster's report."""

import csv
import datetime
import io

import pytest
from django.urls import reverse

from disaster_support import directions, reports
from members.models import Organisation
from tests import factories

pytestmark = pytest.mark.django_db

AS_OF = datetime.date(2024, 3, 15)


@pytest.fixture
def tokyo(db):
    return factories.make_prefecture(name="東京都")


@pytest.fixture
def setagaya(tokyo):
    return factories.make_organisation(
        name="世田谷区", kind=Organisation.Kind.SPECIAL_WARD, prefecture=tokyo
    )


@pytest.fixture
def drill(tokyo):
    return factories.make_drill(prefecture=tokyo)


@pytest.fixture
def helped(drill, setagaya, chiyoda, member):
    """千代田区 sends 2 to 世田谷区 in one team, a member city 3 in two."""
    help_request = factories.make_request(disaster=drill, municipality=setagaya)
    offer = factories.make_offer(request=help_request, sender=chiyoda)
    factories.make_dispatch(offer=offer, sender=chiyoda, seats=2)
    city = member.organisation
    offer = factories.make_offer(request=help_request, sender=city)
    factories.make_dispatch(offer=offer, sender=city, seats=1)
    factories.make_dispatch(
        offer=offer,
        sender=city,
        seats=2,
        name="第2班",
        start_on=datetime.date(2024, 1, 20),
        end_on=datetime.date(2024, 1, 21),
    )
    return help_request


def test_directions_count_people_sent_and_received(drill, helped, chiyoda, member):
    table = {
        row.organisation: (row.sent, row.received)
        for row in directions.directions(reports.seat_rows(drill, AS_OF))
    }
    assert table == {
        "千代田区": (2, 0),
        member.organisation.name: (3, 0),
        "世田谷区": (0, 5),
    }


def test_sender_view_has_teams_people_person_days_and_work(drill, helped, chiyoda):
    view = directions.sender_view(reports.seat_rows(drill, AS_OF))
    assert view.works == ["ごみの収集・運搬等"]
    by_sender = {row.sender: row for row in view.rows}
    assert (by_sender["千代田区"].teams, by_sender["千代田区"].people) == (1, 2)
    city = next(row for row in view.rows if row.sender != "千代田区")
    # 1 person × 5 days, 2 people × 2 days.
    assert (city.teams, city.people, city.person_days) == (2, 3, 9)
    assert city.by_work == [3]


def test_the_helped_ward_sees_its_own_juen(client, drill, helped, setagaya):
    user = factories.make_user(email="s@example.jp", organisation=setagaya)
    client.force_login(user)
    page = client.get(
        reverse("disaster_support:disaster_detail", args=[drill.pk]),
        {"as_of": "2024-03-15"},
    )
    own = page.context["own_direction"]
    assert (own.sent, own.received) == (0, 5)
    assert "受援 5人" in page.content.decode()


def test_a_sender_sees_its_own_shien(client, drill, helped, chiyoda_staff):
    client.force_login(chiyoda_staff)
    page = client.get(
        reverse("disaster_support:disaster_detail", args=[drill.pk]),
        {"as_of": "2024-03-15"},
    )
    own = page.context["own_direction"]
    assert (own.sent, own.received) == (2, 0)


def test_the_drill_is_absent_from_a_real_disasters_report(
    client, member, disaster, drill, helped
):
    client.force_login(member)
    page = client.get(
        reverse("disaster_support:disaster_detail", args=[disaster.pk]),
        {"as_of": "2024-03-15"},
    )
    assert page.context["directions"] == []
    assert page.context["senders"].rows == []
    assert "世田谷区" not in page.content.decode()


def test_the_senders_export_has_the_page_rows(client, member, drill, helped):
    client.force_login(member)
    response = client.get(
        reverse("disaster_support:export", args=[drill.pk, "senders", "csv"]),
        {"as_of": "2024-03-15"},
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["派遣元", "班数", "人数", "延べ人日"]
    assert ["千代田区", "1", "2", "10", "2"] in rows


def test_the_directions_export_has_both_directions(client, member, drill, helped):
    client.force_login(member)
    response = client.get(
        reverse("disaster_support:export", args=[drill.pk, "directions", "csv"]),
        {"as_of": "2024-03-15"},
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert ["世田谷区", "0", "5"] in rows
