"""The chart, the map, 中長期 and the request log: values against raw rows."""

import csv
import dataclasses
import datetime
import io
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape
from openpyxl import load_workbook

from disaster_support import charts, reports, selectors
from disaster_support.models import Dispatch, HelpRequest, Seat
from members.models import Organisation
from tests import factories

D = datetime.date
AS_OF = D(2024, 1, 20)


def detail_url(disaster, as_of=AS_OF):
    url = reverse("disaster_support:disaster_detail", args=[disaster.pk])
    return f"{url}?as_of={as_of}"


@pytest.fixture
def reported(disaster, help_request, chiyoda, minato, nanao):
    nanao.latitude, nanao.longitude = Decimal("37.0436"), Decimal("136.9675")
    nanao.save()
    offer = factories.make_offer(request=help_request)
    factories.make_dispatch(offer=offer, sender=chiyoda, seats=3)
    factories.make_dispatch(
        offer=offer,
        sender=minato,
        seats=2,
        start_on=D(2024, 1, 12),
        end_on=D(2024, 1, 16),
    )
    factories.make_dispatch(
        offer=offer,
        sender=minato,
        seats=4,
        name="中止班",
        status=Dispatch.Status.CANCELLED,
    )
    return disaster


def raw_on_duty(disaster, day, ward=None):
    """People on duty on a day, straight from the seat rows."""
    seats = Seat.objects.filter(
        dispatch__offer__request__disaster=disaster,
        dispatch__decided_on__lte=AS_OF,
        dispatch__start_on__lte=day,
        dispatch__end_on__gte=day,
    ).exclude(dispatch__status=Dispatch.Status.CANCELLED)
    if ward is not None:
        seats = seats.filter(dispatch__sender=ward)
    return seats.count()


# ----- people on duty per day -----


def test_duty_series_equals_the_raw_rows(reported, chiyoda, minato):
    series = reports.duty_series(reports.seat_rows(reported, AS_OF))
    assert series.wards == ["千代田区", "港区"]
    assert [day for day, _counts, _total in series.days] == [
        D(2024, 1, 10) + datetime.timedelta(days=n) for n in range(7)
    ]
    for day, counts, total in series.days:
        assert counts == [
            raw_on_duty(reported, day, chiyoda),
            raw_on_duty(reported, day, minato),
        ]
        assert total == raw_on_duty(reported, day)
    assert series.peak == 5


def test_wards_beyond_the_palette_are_summed_as_other_wards(disaster, help_request):
    offer = factories.make_offer(request=help_request)
    for number in range(8):
        ward = factories.make_organisation(
            name=f"区{number}", kind=Organisation.Kind.SPECIAL_WARD
        )
        factories.make_dispatch(offer=offer, sender=ward, seats=number + 1)
    series = reports.duty_series(reports.seat_rows(disaster, AS_OF))
    assert len(series.wards) == reports.DUTY_CHART_WARDS == len(charts.PALETTE)
    assert series.wards[-1] == "その他の区"
    # The three smallest wards (1 + 2 + 3 people) share the last series.
    assert series.days[0][1][-1] == 6
    assert series.days[0][2] == sum(range(1, 9))


def test_chart_has_one_bar_per_day_and_ward_and_a_table(client, member, reported):
    client.force_login(member)
    page = client.get(detail_url(reported)).content.decode()
    series = reports.duty_series(reports.seat_rows(reported, AS_OF))
    cells = sum(1 for _day, counts, _total in series.days for c in counts if c)
    assert page.count('<rect class="bar"') == cells == 5 + 5
    svg = re.search(r'<svg[^>]*aria-labelledby="([^"]+)"', page)
    assert 'role="img"' in svg.group(0)
    for element_id in svg.group(1).split():
        assert f'id="{element_id}"' in page
    assert '<title id="duty-chart-title">' in page and "<desc " in page
    assert page.count('<rect class="legend"') == 2
    table = re.search(r'data-table="duty".*?<tbody>(.*?)</tbody>', page, re.S)
    rows = re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S)
    assert len(rows) == len(series.days)
    first = re.findall(r'<td class="number">(\d+)</td>', rows[0])
    assert first == ["3", "0", "3"]
    assert escape(str(reports.DUTY_CHART_NOTE)) in page


def test_chart_bars_and_table_escape_the_sender_names(client, member, help_request):
    sender = factories.make_organisation(
        name="<b>区</b>", kind=Organisation.Kind.SPECIAL_WARD
    )
    factories.make_dispatch(
        offer=factories.make_offer(request=help_request), sender=sender, seats=2
    )
    client.force_login(member)
    page = client.get(detail_url(help_request.disaster)).content.decode()
    assert "<b>区</b>" not in page
    assert "<title>1/10 &lt;b&gt;区&lt;/b&gt;: 2</title>" in page


def test_a_team_counts_once_for_each_of_its_seats(disaster, help_request, chiyoda):
    offer = factories.make_offer(request=help_request)
    team = factories.make_dispatch(offer=offer, sender=chiyoda, seats=4)
    rows = reports.seat_rows(disaster, AS_OF)
    assert len(rows) == Seat.objects.filter(dispatch=team).count() == 4
    assert {row.dispatch_id for row in rows} == {team.pk}


def test_chart_colours_have_enough_contrast_on_white():
    def luminance(colour):
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [
            c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
            for c in channels
        ]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    for colour in charts.PALETTE:
        assert 1.05 / (luminance(colour) + 0.05) >= 3


# ----- map -----


def test_map_has_one_circle_per_place_sized_by_its_count(
    client, member, reported, nanao, chiyoda
):
    wajima = factories.make_organisation(
        name="輪島市",
        prefecture=nanao.prefecture,
        latitude=Decimal("37.3906"),
        longitude=Decimal("136.8992"),
    )
    other = factories.make_request(disaster=reported, municipality=wajima)
    factories.make_dispatch(
        offer=factories.make_offer(request=other), sender=chiyoda, seats=20
    )
    places = reports.map_places(reports.seat_rows(reported, AS_OF))
    assert [(p.place, p.count) for p in places] == [
        ("石川県 輪島市", 20),
        ("石川県 七尾市", 5),
    ]
    client.force_login(member)
    page = client.get(detail_url(reported)).content.decode()
    circles = re.findall(r'<circle class="place" [^>]*r="([\d.]+)"', page)
    assert [float(r) for r in circles] == [charts.MAX_RADIUS, 8.0]
    assert "<title>石川県 輪島市：20人</title>" in page
    assert re.search(r'<svg[^>]*role="img" aria-label="[^"]+"', page)
    assert f'<image href="{reverse("disaster_support:map_base")}"' in page


def test_map_base_is_the_registry_outline_and_cached(client, member, nanao):
    nanao.latitude, nanao.longitude = Decimal("37.0436"), Decimal("136.9675")
    nanao.save()
    client.force_login(member)
    url = reverse("disaster_support:map_base")
    with CaptureQueriesContext(connection) as first:
        response = client.get(url)
    assert response["Content-Type"] == "image/svg+xml"
    assert response.content.decode().count('r="1.8"') == 1
    with CaptureQueriesContext(connection) as second:
        assert client.get(url).content == response.content
    assert len(second) < len(first)


def test_remote_place_without_coordinates_is_left_off_the_map(disaster, nanao, chiyoda):
    remote = factories.make_request(
        disaster=disaster,
        municipality=nanao,
        place_kind=HelpRequest.PlaceKind.REMOTE,
        place_note="東京都庁",
    )
    factories.make_dispatch(offer=factories.make_offer(request=remote), sender=chiyoda)
    rows = reports.seat_rows(disaster, AS_OF)
    assert rows and reports.map_places(rows) == []


# ----- 中長期 and the request log -----


def test_medium_long_requested_and_secured_equal_the_raw_rows(disaster, nanao, chiyoda):
    asked = factories.make_request(
        disaster=disaster,
        municipality=nanao,
        channel=HelpRequest.Channel.MEDIUM_LONG,
        people_requested=4,
    )
    offer = factories.make_offer(request=asked, sender=chiyoda)
    long_term = {"term": Dispatch.Term.MEDIUM_LONG, "end_on": D(2025, 1, 9)}
    factories.make_dispatch(offer=offer, sender=chiyoda, seats=1, **long_term)
    factories.make_dispatch(
        offer=offer,
        sender=chiyoda,
        seats=2,
        status=Dispatch.Status.CANCELLED,
        **long_term,
    )
    factories.make_dispatch(offer=offer, sender=chiyoda, seats=5)
    requests = disaster.requests.all()
    result = reports.medium_long(requests, reports.seat_rows(disaster, AS_OF))
    assert result.requested == 4
    assert (
        result.secured
        == 1
        == (
            Seat.objects.filter(dispatch__term=Dispatch.Term.MEDIUM_LONG)
            .exclude(dispatch__status=Dispatch.Status.CANCELLED)
            .count()
        )
    )
    assert result.shortfall == 3


def test_request_log_lists_every_team_with_its_seats(
    client, office_staff, reported, help_request, nanao
):
    factories.make_request(
        disaster=reported, municipality=nanao, start_on=D(2024, 1, 15)
    )
    log = reports.request_log(selectors.with_log(reported.requests.all(), AS_OF))
    raw = [
        Seat.objects.filter(dispatch=team).count()
        for team in Dispatch.objects.order_by("start_on", "pk")
    ]
    assert [row.seats for row in log] == [*raw, None] == [3, 4, 2, None]
    assert f"({Dispatch.Status.CANCELLED.label})" in log[1].team
    assert [row.request.start_on for row in log] == [D(2024, 1, 10)] * 3 + [
        D(2024, 1, 15)
    ]
    client.force_login(office_staff)
    page = client.get(detail_url(reported)).content.decode()
    table = re.search(r'data-table="request-log".*?<tbody>(.*?)</tbody>', page, re.S)
    assert len(re.findall(r"<tr>", table.group(1))) == 4
    assert escape(str(reports.REQUEST_LOG_NOTE)) in page
    assert escape(str(reports.MEDIUM_LONG_NOTE)) in page


# ----- exports -----


def page_cells(page, name):
    """A table's body cells, or a definition list's (term, value) pairs."""
    block = re.search(rf'data-table="{name}"(.*?)</(?:table|dl)>', page, re.S).group(1)
    if "<dt>" in block:
        return [
            list(pair) for pair in re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", block)
        ]
    body = re.search(r"<tbody>(.*?)</tbody>", block, re.S).group(1)
    return [
        re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


@pytest.mark.parametrize(
    ("table", "page_name"), [("cross_tab", "cross-tab"), ("person_days", "person-days")]
)
def test_exports_have_the_page_figures(client, member, reported, table, page_name):
    client.force_login(member)
    page = client.get(detail_url(reported)).content.decode()
    expected = page_cells(page, page_name)
    assert f"/export/{table}.csv?as_of=2024-01-20" in page
    url = reverse("disaster_support:export", args=[reported.pk, table, "csv"])
    raw = client.get(f"{url}?as_of={AS_OF}").content
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[1 : 1 + len(expected)] == expected
    url = reverse("disaster_support:export", args=[reported.pk, table, "xlsx"])
    sheet = load_workbook(io.BytesIO(client.get(f"{url}?as_of={AS_OF}").content))
    values = [
        [str(value) for value in row]
        for row in sheet.active.iter_rows(min_row=2, values_only=True)
    ]
    assert values[: len(expected)] == expected


def test_the_chart_figures_export_day_by_day(client, member, reported):
    client.force_login(member)
    series = reports.duty_series(reports.seat_rows(reported, AS_OF))
    url = reverse("disaster_support:export", args=[reported.pk, "duty", "csv"])
    raw = client.get(f"{url}?as_of={AS_OF}").content
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][-1] == "計"
    body = rows[1 : 1 + len(series.days)]
    assert [(row[0], int(row[-1])) for row in body] == [
        (day.isoformat(), total) for day, _counts, total in series.days
    ]
    url = reverse("disaster_support:export", args=[reported.pk, "duty", "xlsx"])
    sheet = load_workbook(io.BytesIO(client.get(f"{url}?as_of={AS_OF}").content))
    totals = [row[-1] for row in sheet.active.iter_rows(min_row=2, values_only=True)]
    assert totals[: len(series.days)] == [total for *_rest, total in series.days]


# ----- queries -----


@pytest.mark.parametrize("reader", ["member", "office_staff"])
def test_page_with_chart_map_and_log_stays_within_twelve_queries(
    request,
    client,
    reader,
    reported,
    help_request,
    chiyoda,
    minato,
    nanao,
    django_assert_max_num_queries,
):
    client.force_login(request.getfixturevalue(reader))
    client.get(detail_url(reported))
    offer = factories.make_offer(request=help_request)
    for number in range(10):
        factories.make_dispatch(
            offer=offer, sender=(chiyoda, minato)[number % 2], name=f"第{number}班"
        )
    factories.make_request(
        disaster=reported, municipality=nanao, channel=HelpRequest.Channel.MEDIUM_LONG
    )
    # Twelve for the page, and the session read by its key (SESSION_ENGINE).
    with django_assert_max_num_queries(12 + 1):
        page = client.get(detail_url(reported)).content.decode()
    assert page.count('<circle class="place"') == 1


def test_sums_per_team_equal_the_sums_per_seat(disaster, help_request, chiyoda):
    offer = factories.make_offer(request=help_request)
    factories.make_dispatch(offer=offer, sender=chiyoda, seats=3)
    factories.make_dispatch(
        offer=offer,
        sender=chiyoda,
        seats=2,
        start_on=D(2024, 1, 18),
        end_on=D(2024, 1, 22),
        name="第2班",
    )
    rows = reports.seat_rows(disaster, AS_OF)
    # The same seats, each its own object: no runs to group.
    apart = [dataclasses.replace(row) for row in rows]
    assert [people for _row, people in reports.team_runs(rows)] == [3, 2]
    assert reports.person_days(rows, AS_OF) == reports.person_days(apart, AS_OF)
    assert reports.duty_series(rows) == reports.duty_series(apart)
