"""The tracker's reports for a disaster "as of" a day, derived from seats.

A seat is one person in one team (Dispatch). Nothing here is typed in: every
figure counts seat rows. All date bounds are inclusive: a team working from
the 1st to the 5th is on duty on the 1st and on the 5th.

Which teams a report sees: those decided on or before the as-of day and not
cancelled (中止). Planned teams are included, as in the published tables.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property

from django.core.exceptions import ValidationError
from django.db.models import Count, OuterRef, Subquery
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from members.common.eras import format_wareki
from members.models import Organisation

from . import charts, damage, directions
from .models import Disaster, Dispatch, HelpRequest, Seat

NEWSLETTER_NOTE = gettext_lazy(
    "延べ派遣数 (planned included): the number of staff dispatched, each person "
    "in each team counted once whatever the length of stay, for teams decided "
    "by the date above and not cancelled."
)
STATUS_NOTE = gettext_lazy(
    "(a) on duty: teams whose first day is on or before the date and whose last "
    "day is on or after it; (b) already back: last day before the date; (c) "
    "planned: first day after the date. Each person in each team counts once; "
    "cancelled teams are not counted."
)
CROSS_TAB_NOTE = gettext_lazy(
    "Staff dispatched (planned included) by sending organisation and work, "
    "counted as in the table above; joint dispatches count for the ward that sent the "
    "team."
)
PERSON_DAYS_NOTE = gettext_lazy(
    "Person-days: for each person, the days from the first day to the last day "
    "of the team, both included. Actual: days up to the date above, for teams "
    "that have started. Planned included: the whole planned stay. Without "
    "travel: the travel days at the start and end are left out."
)

DRILL_NOTE = gettext_lazy(
    "Drill: these figures come from an exercise and are not real support."
)


def drill_title(title, is_drill):
    """A table's title, marked 訓練 for a drill."""
    return _("[Drill] %(name)s") % {"name": title} if is_drill else str(title)


# The published tables' own wording for remote work, kept verbatim (it is
# report data, not interface text): 「…業務 (石川県輪島市分をリモートで対応)」.
REMOTE_WORK_LABEL = "{work} ({municipality}分をリモートで対応)"


def check_as_of(disaster, as_of):
    """An as-of day before the disaster makes no sense; refuse it."""
    if as_of < disaster.occurred_on:
        raise ValidationError(
            _("The date must be on or after the day of the disaster."),
            code="before_disaster",
        )


def municipality_label(name, kind, prefecture_name):
    """The newsletter's 派遣先: 「石川県 金沢市」 with a space, 「石川県」 alone."""
    if prefecture_name and kind in {
        Organisation.Kind.CITY,
        Organisation.Kind.TOWN,
        Organisation.Kind.VILLAGE,
    }:
        return f"{prefecture_name} {name}"
    return name


@dataclass(frozen=True)
class SeatRow:
    """One counted person, with what the reports group by."""

    dispatch_id: int
    start_on: object
    end_on: object
    travel_start: int
    travel_end: int
    # The sending organisation (a ward, or any member): the published
    # tables call it 区, so the names stay.
    ward: str
    ward_code: str
    work: str
    work_order: int
    place: str
    term: str = Dispatch.Term.SHORT
    # (latitude, longitude, prefecture code, code) of the place, for the
    # map; None when the place has no coordinates (a remote place_note).
    point: tuple | None = None
    # The municipality helped (受援), 「石川県 七尾市」, even for remote work.
    helped: str = ""
    sender_id: int | None = None
    helped_id: int | None = None

    def on_duty(self, day):
        return self.start_on <= day <= self.end_on

    def days_up_to(self, day, *, travel):
        """Inclusive days from the first day to min(last day, day)."""
        if self.start_on > day:
            return 0
        last = min(self.end_on, day)
        days = (last - self.start_on).days + 1
        if not travel:
            days -= self.travel_start
            if self.end_on <= day:
                days -= self.travel_end
        return max(days, 0)


def seat_rows(disaster, as_of):
    """Every counted seat for the as-of day: one query.

    The query reads one row per team with its number of seats, and the team's
    SeatRow stands once for each of them: the figures count seats, but the
    database and Python do the work once per team.
    """
    seats = (
        Seat.objects.filter(dispatch=OuterRef("pk"))
        .values("dispatch")
        .annotate(count=Count("pk"))
        .values("count")
    )
    teams = (
        Dispatch.objects.filter(
            offer__request__disaster=disaster,
            decided_on__lte=as_of,
        )
        .exclude(status=Dispatch.Status.CANCELLED)
        .annotate(seat_count=Subquery(seats))
        .values_list(
            "seat_count",
            "pk",
            "start_on",
            "end_on",
            "travel_days_at_start",
            "travel_days_at_end",
            "sender__name",
            "sender__code",
            "offer__request__work_type__name",
            "offer__request__work_type__order",
            "offer__request__place_kind",
            "offer__request__place_note",
            "offer__request__municipality__name",
            "offer__request__municipality__kind",
            "offer__request__municipality__prefecture__name",
            "offer__request__work_place__name",
            "term",
            "sender_id",
            "offer__request__municipality_id",
            "offer__request__municipality__latitude",
            "offer__request__municipality__longitude",
            "offer__request__municipality__prefecture__code",
            "offer__request__municipality__code",
            "offer__request__work_place__latitude",
            "offer__request__work_place__longitude",
            "offer__request__work_place__prefecture__code",
            "offer__request__work_place__code",
        )
        .order_by("start_on", "pk")
    )
    rows = []
    for (
        seat_count,
        dispatch_id,
        start_on,
        end_on,
        travel_start,
        travel_end,
        ward,
        ward_code,
        work,
        work_order,
        place_kind,
        place_note,
        municipality,
        municipality_kind,
        prefecture,
        work_place,
        term,
        sender_id,
        helped_id,
        *coordinates,
    ) in teams:
        supported = municipality_label(municipality, municipality_kind, prefecture)
        helped = supported
        point = tuple(coordinates[:4])
        if place_kind == HelpRequest.PlaceKind.REMOTE:
            # The newsletter's 東京都庁 row: the place is where the work is
            # done, and the work names the municipality it is done for.
            work = REMOTE_WORK_LABEL.format(
                work=work, municipality=supported.replace(" ", "")
            )
            supported = place_note or work_place or ""
            point = tuple(coordinates[4:])
        row = SeatRow(
            dispatch_id=dispatch_id,
            start_on=start_on,
            end_on=end_on,
            travel_start=travel_start,
            travel_end=travel_end,
            ward=ward,
            ward_code=ward_code or "",
            work=work,
            work_order=work_order,
            place=supported,
            term=term,
            point=point if None not in point[:2] else None,
            helped=helped,
            sender_id=sender_id,
            helped_id=helped_id,
        )
        # A team without seats (None) counts no one.
        rows.extend([row] * (seat_count or 0))
    return rows


@dataclass(frozen=True)
class NewsletterRow:
    work: str
    place: str
    count: int


def newsletter_table(rows):
    """業務内容 / 派遣先 / 延べ派遣数(予定を含む), largest count first."""
    counts = defaultdict(int)
    orders = {}
    for row in rows:
        key = (row.work, row.place)
        counts[key] += 1
        orders[key] = row.work_order
    table = [
        NewsletterRow(work=work, place=place, count=count)
        for (work, place), count in counts.items()
    ]
    table.sort(key=lambda r: (-r.count, orders[(r.work, r.place)], r.place))
    return table


@dataclass(frozen=True)
class StatusRow:
    ward: str
    on_duty: int
    returned: int
    planned: int

    @property
    def total(self):
        return self.on_duty + self.returned + self.planned


def status_table(rows, as_of):
    """区長会 table per ward: 派遣中(a) / 既派遣(b) / 今後派遣予定(c) / 計.

    The last row is the total over all wards.
    """
    per_ward = defaultdict(lambda: [0, 0, 0])
    codes = {}
    for row in rows:
        counts = per_ward[row.ward]
        codes[row.ward] = row.ward_code
        if row.start_on > as_of:
            counts[2] += 1
        elif row.end_on < as_of:
            counts[1] += 1
        else:
            counts[0] += 1
    table = [
        StatusRow(ward=ward, on_duty=a, returned=b, planned=c)
        for ward, (a, b, c) in sorted(per_ward.items(), key=lambda i: codes[i[0]])
    ]
    table.append(
        StatusRow(
            ward=_("Total"),
            on_duty=sum(r.on_duty for r in table),
            returned=sum(r.returned for r in table),
            planned=sum(r.planned for r in table),
        )
    )
    return table


@dataclass(frozen=True)
class CrossTab:
    works: list
    rows: list  # (ward, [count per work], total)
    totals: list
    grand_total: int


def cross_tab(rows):
    """Ward × work counts of seats, with totals per row and per column."""
    works = sorted({(r.work_order, r.work) for r in rows})
    work_names = [work for _order, work in works]
    counts = defaultdict(int)
    codes = {}
    for row in rows:
        counts[(row.ward, row.work)] += 1
        codes[row.ward] = row.ward_code
    wards = sorted(codes, key=codes.get)
    table = []
    for ward in wards:
        cells = [counts[(ward, work)] for work in work_names]
        table.append((ward, cells, sum(cells)))
    totals = [sum(counts[(ward, work)] for ward in wards) for work in work_names]
    return CrossTab(
        works=work_names, rows=table, totals=totals, grand_total=sum(totals)
    )


@dataclass(frozen=True)
class PersonDays:
    on_duty: int
    actual_with_travel: int
    actual_without_travel: int
    planned_with_travel: int
    planned_without_travel: int


def team_runs(rows):
    """(row, people): each run of the same SeatRow once, with its length.

    seat_rows() gives a team's row once per seat, one after the other; the
    sums below work per team and multiply, rather than per seat.
    """
    previous, people = None, 0
    for row in rows:
        if row is previous:
            people += 1
            continue
        if previous is not None:
            yield previous, people
        previous, people = row, 1
    if previous is not None:
        yield previous, people


def person_days(rows, as_of):
    """延べ人日 with and without travel days, and people on duty on the day."""
    far_future = max((row.end_on for row in rows), default=as_of)
    totals = [0] * 5
    for row, people in team_runs(rows):
        totals[0] += people * row.on_duty(as_of)
        totals[1] += people * row.days_up_to(as_of, travel=True)
        totals[2] += people * row.days_up_to(as_of, travel=False)
        totals[3] += people * row.days_up_to(far_future, travel=True)
        totals[4] += people * row.days_up_to(far_future, travel=False)
    return PersonDays(*totals)


def on_duty_on(rows, day):
    """People on duty on a day: seats whose team's dates include it."""
    return sum(1 for row in rows if row.on_duty(day))


OPEN_REQUESTS_NOTE = gettext_lazy(
    "Requests still received, being coordinated or partly accepted, for which "
    "the people offered are fewer than the people requested."
)


def open_requests(requests):
    """Requests not yet covered: still open, and offered < requested.

    `requests` carry an `offered` annotation (the sum of their offers' people).
    """
    still_open = {
        HelpRequest.Status.RECEIVED,
        HelpRequest.Status.COORDINATING,
        HelpRequest.Status.PARTLY_ACCEPTED,
    }
    return [
        help_request
        for help_request in requests
        if help_request.status in still_open
        and help_request.offered < help_request.people_requested
    ]


def money_and_goods(disaster, as_of=None):
    """Support money and goods of a disaster, in date order, paid or sent on
    or before `as_of` if given: two queries. Money paid from a frozen
    allocation by damage points comes with it (`allocation_line`)."""
    related = ["payer__prefecture", "recipient__prefecture"]
    money = disaster.money.select_related(*related, "allocation_line__allocation")
    goods = disaster.goods.select_related(*related)
    if as_of is not None:
        money = money.filter(paid_on__lte=as_of)
        goods = goods.filter(sent_on__lte=as_of)
    return list(money), list(goods)


DUTY_CHART_NOTE = gettext_lazy(
    "People on duty: each person counts on every day from the first day to the "
    "last day of the team, both included, travel days too. Teams decided by the "
    "date above and not cancelled, planned ones included; the days run from the "
    "first team's first day to the last planned day."
)
# More wards than this would need more colours than can be told apart; the
# rest are drawn together as one series.
DUTY_CHART_WARDS = 6


@dataclass(frozen=True)
class DutySeries:
    wards: list  # series names: the busiest wards, then "other wards" if any
    days: list  # (day, [people per series], total), one per day, in order

    @property
    def peak(self):
        return max((total for _day, _counts, total in self.days), default=0)


def duty_series(rows):
    """People on duty per day and per ward, from the seat rows.

    The wards with the most person-days get a series each; the others are
    summed into one, so that the chart keeps colours that can be told apart.
    """
    if not rows:
        return DutySeries(wards=[], days=[])
    first = min(row.start_on for row in rows)
    last = max(row.end_on for row in rows)
    person_days = defaultdict(int)
    codes = {}
    for row, people in team_runs(rows):
        person_days[row.ward] += people * ((row.end_on - row.start_on).days + 1)
        codes[row.ward] = row.ward_code
    busiest = sorted(person_days, key=lambda ward: (-person_days[ward], codes[ward]))
    if len(busiest) > DUTY_CHART_WARDS:
        shown = busiest[: DUTY_CHART_WARDS - 1]
        names = [*sorted(shown, key=codes.get), _("Other wards")]
    else:
        shown = busiest
        names = sorted(shown, key=codes.get)
    series = {ward: names.index(ward) for ward in shown}
    other = len(names) - 1
    width = (last - first).days + 1
    counts = [[0] * len(names) for _day in range(width)]
    for row, people in team_runs(rows):
        column = series.get(row.ward, other)
        for offset in range((row.start_on - first).days, (row.end_on - first).days + 1):
            counts[offset][column] += people
    return DutySeries(
        wards=names,
        days=[
            (first + datetime.timedelta(days=offset), cells, sum(cells))
            for offset, cells in enumerate(counts)
        ],
    )


MAP_NOTE = gettext_lazy(
    "Circle area: staff dispatched (planned included) to each place, counted as "
    "in the first table. Places without coordinates in the registry are not drawn."
)


@dataclass(frozen=True)
class MapPlace:
    place: str
    point: tuple  # (latitude, longitude, prefecture code, code)
    count: int


def map_places(rows):
    """延べ派遣数 per place with coordinates, largest first."""
    counts = defaultdict(int)
    points = {}
    for row in rows:
        if row.point is not None:
            counts[row.place] += 1
            points[row.place] = row.point
    return sorted(
        (MapPlace(place, points[place], count) for place, count in counts.items()),
        key=lambda p: (-p.count, p.place),
    )


MEDIUM_LONG_NOTE = gettext_lazy(
    "Requested: people asked for in requests that came through the medium- to "
    "long-term dispatch channel, whatever their status. Secured: people in "
    "medium- to long-term teams decided by the date above and not cancelled, "
    "planned ones included."
)


@dataclass(frozen=True)
class MediumLong:
    requested: int
    secured: int

    @property
    def shortfall(self):
        return max(self.requested - self.secured, 0)


def medium_long(requests, rows):
    """中長期: people asked for vs people in 中長期 teams (seats).

    `requests` must be all the disaster's requests, not only those the reader
    may open: the figure is a report, like the tables above.
    """
    return MediumLong(
        requested=sum(
            r.people_requested
            for r in requests
            if r.channel == HelpRequest.Channel.MEDIUM_LONG
        ),
        secured=sum(1 for row in rows if row.term == Dispatch.Term.MEDIUM_LONG),
    )


REQUEST_LOG_NOTE = gettext_lazy(
    "Each request in order of its first day, with the offers made against it "
    "and their teams decided by the date above. People: the seats in each team; "
    "cancelled teams are listed but not counted in the other tables."
)


class RequestCells:
    """A request's cells in the log, shared by all its rows and formatted
    only when a page of the log shows them."""

    def __init__(self, help_request):
        self.request = help_request

    @cached_property
    def period(self):
        """令和6年1月10日–令和6年1月14日"""
        return (
            f"{format_wareki(self.request.start_on)}"
            f"–{format_wareki(self.request.end_on)}"
        )

    @cached_property
    def municipality(self):
        return self.request.municipality.full_name

    @cached_property
    def work(self):
        """The work, and the request's status in brackets."""
        return f"{self.request.work_type} ({self.request.get_status_display()})"


@dataclass(frozen=True)
class LogRow:
    request: HelpRequest
    cells: RequestCells
    offerer: str = ""
    people_offered: int | None = None
    team_data: dict | None = None  # a team as selectors.with_log gives it
    seats: int | None = None
    # The agreement ({"id", "title"}) the team was sent under, if any.
    basis: dict | None = None

    @property
    def team(self) -> str:
        """Ward, name, dates and status of the team; made when shown, so a
        page of the log formats only its own rows' dates."""
        return _team_label(self.team_data) if self.team_data else ""


def request_log(requests):
    """One row per team, or per offer or request without one.

    `requests` come from selectors.with_log(), in date order.
    """
    log = []
    for help_request in requests:
        cells = RequestCells(help_request)
        if not help_request.log:
            log.append(LogRow(request=help_request, cells=cells))
        for offer in help_request.log:
            offerer = _("23 wards jointly") if offer["is_joint"] else offer["sender"]
            log.extend(
                LogRow(
                    request=help_request,
                    cells=cells,
                    offerer=offerer,
                    people_offered=offer["people"],
                    team_data=team,
                    seats=team["seats"] if team else None,
                    basis=team["basis"] if team else None,
                )
                for team in offer["teams"] or [None]
            )
    return log


@dataclass(frozen=True)
class RequestLink:
    """A request in the page's list of requests, formatted in one pass."""

    url: str
    label: str  # 「石川県七尾市：保健師」
    status: str  # 「（受付）」


def request_links(requests):
    """The list of requests the reader may open, as links."""
    return [
        RequestLink(
            url=reverse("disaster_support:request_detail", args=[help_request.pk]),
            label=_("%(municipality)s: %(work)s")
            % {
                "municipality": help_request.municipality.full_name,
                "work": help_request.work_type,
            },
            status=_(" (%(status)s)") % {"status": help_request.get_status_display()},
        )
        for help_request in requests
    ]


def _team_label(team):
    """「港区 第1班 令和6年1月10日–令和6年1月14日 (完了)」"""
    start_on, end_on = (
        format_wareki(datetime.date.fromisoformat(team[key]))
        for key in ("start_on", "end_on")
    )
    status = Dispatch.Status(team["status"]).label
    return f"{team['sender']} {team['name']} {start_on}–{end_on} ({status})"


@dataclass
class DisasterReport:
    """What the disaster page shows. `figures` (tables and charts) are there
    only with an as-of day, as they need a valid one."""

    money: list
    goods: list
    requests: list
    request_links: list
    open_requests: list
    notes: dict
    figures: dict

    def context(self) -> dict:
        """The template's names: the fields, with the figures at top level."""
        fields = {name: getattr(self, name) for name in self.__dataclass_fields__}
        return {**fields, **fields.pop("figures")}


def disaster_report(
    *,
    disaster: Disaster,
    as_of: datetime.date | None,
    all_requests: list[HelpRequest],
    requests: list[HelpRequest],
) -> DisasterReport:
    """The disaster page as of a day (None: an invalid day was asked for).

    `all_requests` feed the figures and `requests`, those the reader may
    open, the lists (both from selectors.report_requests).
    """
    money, goods = money_and_goods(disaster, as_of)
    notes = {
        "newsletter": NEWSLETTER_NOTE,
        "status": STATUS_NOTE,
        "cross_tab": CROSS_TAB_NOTE,
        "person_days": PERSON_DAYS_NOTE,
        "open_requests": OPEN_REQUESTS_NOTE,
    }
    figures = {}
    if as_of is not None:
        rows = seat_rows(disaster, as_of)
        figures = {
            "newsletter": newsletter_table(rows),
            "status": status_table(rows, as_of),
            "cross_tab": cross_tab(rows),
            "person_days": person_days(rows, as_of),
            "duty_chart": charts.duty_chart(duty_series(rows)),
            "dispatch_map": charts.dispatch_map_svg(map_places(rows)),
            "medium_long": medium_long(all_requests, rows),
            "request_log": request_log(requests),
            "directions": directions.directions(rows),
            "senders": directions.sender_view(rows),
        }
        notes.update(
            duty_chart=DUTY_CHART_NOTE,
            map=MAP_NOTE,
            medium_long=MEDIUM_LONG_NOTE,
            request_log=REQUEST_LOG_NOTE,
            directions=directions.DIRECTIONS_NOTE,
            senders=directions.SENDERS_NOTE,
        )
        figures["aid_totals"] = damage.aid_totals(money, goods)
        notes.update(aid_totals=damage.TOTALS_NOTE)
    return DisasterReport(
        money=money,
        goods=goods,
        requests=requests,
        request_links=request_links(requests),
        open_requests=open_requests(requests),
        notes=notes,
        figures=figures,
    )
