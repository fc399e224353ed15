"""The tracker's reports for a disaster "as of" a day, derived from seats.

A seat is one person in one team (Dispatch). Nothing here is typed in: every
figure counts seat rows. All date bounds are inclusive: a team working from
the 1st to the 5th is on duty on the 1st and on the 5th.

Which teams a report sees: those decided on or before the as-of day and not
cancelled (中止). Planned teams are included, as in the published tables.
"""

from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from members.models import Organisation

from .models import Dispatch, HelpRequest, Seat

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
    "Staff dispatched (planned included) by dispatching ward and work, counted "
    "as in the table above; joint dispatches count for the ward that sent the "
    "team."
)
PERSON_DAYS_NOTE = gettext_lazy(
    "Person-days: for each person, the days from the first day to the last day "
    "of the team, both included. Actual: days up to the date above, for teams "
    "that have started. Planned included: the whole planned stay. Without "
    "travel: the travel days at the start and end are left out."
)


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
    ward: str
    ward_code: str
    work: str
    work_order: int
    place: str

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
    """Every counted seat for the as-of day: one query."""
    seats = (
        Seat.objects.filter(
            dispatch__offer__request__disaster=disaster,
            dispatch__decided_on__lte=as_of,
        )
        .exclude(dispatch__status=Dispatch.Status.CANCELLED)
        .values_list(
            "dispatch_id",
            "dispatch__start_on",
            "dispatch__end_on",
            "dispatch__travel_days_at_start",
            "dispatch__travel_days_at_end",
            "dispatch__ward__name",
            "dispatch__ward__code",
            "dispatch__offer__request__work_type__name",
            "dispatch__offer__request__work_type__order",
            "dispatch__offer__request__place_kind",
            "dispatch__offer__request__place_note",
            "dispatch__offer__request__municipality__name",
            "dispatch__offer__request__municipality__kind",
            "dispatch__offer__request__municipality__prefecture__name",
            "dispatch__offer__request__work_place__name",
        )
        .order_by("dispatch__start_on", "pk")
    )
    rows = []
    for (
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
    ) in seats:
        supported = municipality_label(municipality, municipality_kind, prefecture)
        if place_kind == HelpRequest.PlaceKind.REMOTE:
            # The newsletter's 東京都庁 row: the place is where the work is
            # done, and the work names the municipality it is done for.
            work = REMOTE_WORK_LABEL.format(
                work=work, municipality=supported.replace(" ", "")
            )
            supported = place_note or work_place or ""
        rows.append(
            SeatRow(
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
            )
        )
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


def person_days(rows, as_of):
    """延べ人日 with and without travel days, and people on duty on the day."""
    far_future = max((row.end_on for row in rows), default=as_of)
    return PersonDays(
        on_duty=sum(1 for row in rows if row.on_duty(as_of)),
        actual_with_travel=sum(row.days_up_to(as_of, travel=True) for row in rows),
        actual_without_travel=sum(row.days_up_to(as_of, travel=False) for row in rows),
        planned_with_travel=sum(
            row.days_up_to(far_future, travel=True) for row in rows
        ),
        planned_without_travel=sum(
            row.days_up_to(far_future, travel=False) for row in rows
        ),
    )


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


def money_and_goods(disaster):
    """Support money and goods of a disaster, in date order: two queries."""
    related = ["payer__prefecture", "recipient__prefecture"]
    return (
        list(disaster.money.select_related(*related)),
        list(disaster.goods.select_related(*related)),
    )
