import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.db.models.functions import Coalesce

from disaster_support import reports, services
from disaster_support.models import Dispatch, HelpRequest, Seat, WorkType
from tests import factories

D = datetime.date


@pytest.fixture
def teams(disaster, help_request, chiyoda, minato):
    """Three counted teams and one cancelled one, around 2024-01-20."""
    offer = factories.make_offer(request=help_request)
    back = factories.make_dispatch(
        offer=offer, sender=chiyoda, start_on=D(2024, 1, 10), end_on=D(2024, 1, 14)
    )
    on_duty = factories.make_dispatch(
        offer=offer,
        sender=minato,
        start_on=D(2024, 1, 20),
        end_on=D(2024, 1, 24),
        seats=2,
    )
    planned = factories.make_dispatch(
        offer=offer, sender=chiyoda, start_on=D(2024, 1, 21), end_on=D(2024, 1, 22)
    )
    cancelled = factories.make_dispatch(
        offer=offer,
        sender=chiyoda,
        start_on=D(2024, 1, 18),
        end_on=D(2024, 1, 22),
        status=Dispatch.Status.CANCELLED,
        seats=4,
    )
    return back, on_duty, planned, cancelled


def raw_seats(disaster, as_of):
    """The counted seats, found the plain way, for comparing with aggregates."""
    return [
        seat
        for seat in Seat.objects.select_related("dispatch")
        if seat.dispatch.status != Dispatch.Status.CANCELLED
        and seat.dispatch.decided_on <= as_of
        and seat.dispatch.offer.request.disaster_id == disaster.pk
    ]


def test_newsletter_count_equals_raw_seats_and_skips_cancelled(disaster, teams):
    as_of = D(2024, 1, 20)
    table = reports.newsletter_table(reports.seat_rows(disaster, as_of))
    assert [(r.work, r.place, r.count) for r in table] == [
        ("ごみの収集・運搬等", "石川県 七尾市", 8)
    ]
    assert sum(r.count for r in table) == len(raw_seats(disaster, as_of))


def test_teams_decided_after_the_date_are_not_counted(disaster, help_request, chiyoda):
    offer = factories.make_offer(request=help_request)
    factories.make_dispatch(offer=offer, sender=chiyoda, decided_on=D(2024, 1, 21))
    assert reports.seat_rows(disaster, D(2024, 1, 20)) == []
    assert len(reports.seat_rows(disaster, D(2024, 1, 21))) == 3


def test_status_table_splits_a_b_c_with_inclusive_bounds(disaster, teams, minato):
    as_of = D(2024, 1, 20)  # minato's team starts on the day: on duty.
    table = reports.status_table(reports.seat_rows(disaster, as_of), as_of)
    by_ward = {row.ward: row for row in table}
    assert (by_ward["港区"].on_duty, by_ward["港区"].returned) == (2, 0)
    chiyoda = by_ward["千代田区"]
    assert (chiyoda.on_duty, chiyoda.returned, chiyoda.planned) == (0, 3, 3)
    total = table[-1]
    assert (total.on_duty, total.returned, total.planned, total.total) == (2, 3, 3, 8)
    raw = raw_seats(disaster, as_of)
    assert total.on_duty == sum(
        1 for s in raw if s.dispatch.start_on <= as_of <= s.dispatch.end_on
    )
    assert total.returned == sum(1 for s in raw if s.dispatch.end_on < as_of)
    assert total.planned == sum(1 for s in raw if s.dispatch.start_on > as_of)


def test_last_day_is_still_on_duty(disaster, teams):
    rows = reports.seat_rows(disaster, D(2024, 1, 24))
    assert reports.on_duty_on(rows, D(2024, 1, 24)) == 2
    assert reports.on_duty_on(rows, D(2024, 1, 25)) == 0


def test_cross_tab_totals(disaster, teams, help_request, chiyoda):
    other = factories.make_request(
        disaster=disaster,
        municipality=help_request.municipality,
        work_type=WorkType.objects.get(name="被災宅地危険度判定業務"),
    )
    factories.make_dispatch(
        offer=factories.make_offer(request=other), sender=chiyoda, seats=1
    )
    tab = reports.cross_tab(reports.seat_rows(disaster, D(2024, 2, 1)))
    assert tab.works == ["ごみの収集・運搬等", "被災宅地危険度判定業務"]
    assert tab.rows == [("千代田区", [6, 1], 7), ("港区", [2, 0], 2)]
    assert tab.totals == [8, 1]
    assert tab.grand_total == 9 == len(raw_seats(disaster, D(2024, 2, 1)))


def test_person_days_with_and_without_travel(disaster, teams):
    as_of = D(2024, 1, 21)
    days = reports.person_days(reports.seat_rows(disaster, as_of), as_of)
    # back: 3 people × 5 days (3 without travel); minato: 2 × 2 days so far
    # (1 without the first travel day); planned from the 21st: 3 × 1 (0).
    assert days.actual_with_travel == 15 + 4 + 3
    assert days.actual_without_travel == 9 + 2 + 0
    assert days.planned_with_travel == 15 + 10 + 6
    assert days.planned_without_travel == 9 + 6 + 0
    assert days.on_duty == 5
    raw = raw_seats(disaster, as_of)
    assert days.planned_with_travel == sum(s.dispatch.days for s in raw)


def test_remote_row_is_labelled_like_the_newsletter(disaster, chiyoda):
    tokyo = factories.make_prefecture("東京都")
    wajima = factories.make_organisation(
        name="輪島市", prefecture=disaster.prefectures.get()
    )
    remote = factories.make_request(
        disaster=disaster,
        municipality=wajima,
        work_type=WorkType.objects.get(name="住家被害認定業務における全壊判定業務"),
        place_kind=HelpRequest.PlaceKind.REMOTE,
        work_place=tokyo,
        place_note="東京都庁",
    )
    factories.make_dispatch(
        offer=factories.make_offer(request=remote), sender=chiyoda, seats=2
    )
    (row,) = reports.newsletter_table(reports.seat_rows(disaster, D(2024, 2, 1)))
    assert row.work == (
        "住家被害認定業務における全壊判定業務 (石川県輪島市分をリモートで対応)"
    )
    assert (row.place, row.count) == ("東京都庁", 2)


def test_as_of_before_the_disaster_is_refused(disaster):
    with pytest.raises(ValidationError):
        reports.check_as_of(disaster, D(2023, 12, 31))
    reports.check_as_of(disaster, disaster.occurred_on)


def test_other_disasters_are_not_counted(disaster, teams, ishikawa, chiyoda):
    other = services.disaster_create(
        name="別の災害",
        kind="other",
        occurred_on=D(2024, 1, 1),
        prefectures=[ishikawa],
        actor=None,
    )
    assert reports.seat_rows(other, D(2024, 2, 1)) == []


def test_open_requests_are_those_offered_less_than_asked(disaster, help_request):
    covered = factories.make_request(
        disaster=disaster, municipality=help_request.municipality, people_requested=2
    )
    factories.make_offer(request=help_request, people=3)  # 3 of 6 asked
    factories.make_offer(request=covered, people=2)
    requests = disaster.requests.annotate(offered=Coalesce(Sum("offers__people"), 0))
    assert reports.open_requests(requests) == [help_request]


def test_money_and_goods(disaster, nanao, chiyoda):
    services.money_create(
        disaster=disaster,
        actor=None,
        kind="reconstruction",
        is_joint=True,
        payer=None,
        recipient=nanao,
        amount=1_000_000,
        basis="被害点数 10点",
        paid_on=D(2024, 2, 1),
    )
    services.goods_create(
        disaster=disaster,
        actor=None,
        item="ブルーシート",
        quantity=100,
        unit="枚",
        is_joint=False,
        payer=chiyoda,
        recipient=nanao,
        sent_on=D(2024, 1, 5),
    )
    money, goods = reports.money_and_goods(disaster)
    assert [(m.amount, m.is_joint) for m in money] == [(1_000_000, True)]
    assert [(g.item, g.payer) for g in goods] == [("ブルーシート", chiyoda)]


def test_money_needs_a_payer_unless_joint(disaster, nanao):
    with pytest.raises(ValidationError):
        services.money_create(
            disaster=disaster,
            actor=None,
            kind="donation",
            is_joint=False,
            payer=None,
            recipient=nanao,
            amount=5,
            paid_on=D(2024, 2, 1),
        )
