"""Both directions of help, from the seat rows of reports.seat_rows().

支援 is help an organisation sends to others, 受援 help it receives. Every
figure counts seats (people in teams), as in the other tables, so the two
directions always add up to the same total.
"""

from collections import defaultdict
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

DIRECTIONS_NOTE = gettext_lazy(
    "支援: people the organisation sent to others; 受援: people sent to it. "
    "Each person in each team counts once, for teams decided by the date above "
    "and not cancelled, planned ones included."
)
SENDERS_NOTE = gettext_lazy(
    "What each sending organisation sent: teams, people (each person in each "
    "team once) and person-days for the whole planned stay, travel days "
    "included; then people by work."
)


@dataclass(frozen=True)
class DirectionRow:
    organisation: str
    sent: int  # 支援
    received: int  # 受援
    organisation_id: int | None = None


def directions(rows):
    """Per organisation, people sent (支援) and received (受援): senders
    first in code order, then the municipalities helped by name."""
    sent = defaultdict(int)
    received = defaultdict(int)
    names = {}
    codes = {}
    for row in rows:
        sent[row.sender_id] += 1
        names[row.sender_id] = row.ward
        codes[row.sender_id] = row.ward_code
        received[row.helped_id] += 1
        names.setdefault(row.helped_id, row.helped)
    order = sorted(sent, key=lambda pk: (codes[pk], names[pk])) + sorted(
        (pk for pk in received if pk not in sent), key=lambda pk: names[pk]
    )
    return [
        DirectionRow(
            organisation=names[pk],
            sent=sent[pk],
            received=received[pk],
            organisation_id=pk,
        )
        for pk in order
    ]


def own_direction(direction_rows, organisation):
    """The organisation's own 支援 and 受援, from directions()."""
    if organisation is None:
        return None
    for row in direction_rows:
        if row.organisation_id == organisation.pk:
            return row
    return DirectionRow(organisation=organisation.name, sent=0, received=0)


@dataclass(frozen=True)
class SenderRow:
    sender: str
    teams: int
    people: int
    person_days: int
    by_work: list  # people per work, in the order of SenderView.works


@dataclass(frozen=True)
class SenderView:
    works: list
    rows: list


def sender_view(rows):
    """Per sending organisation: teams, people, person-days and people by
    work type."""
    works = [work for _order, work in sorted({(r.work_order, r.work) for r in rows})]
    teams = defaultdict(set)
    people = defaultdict(int)
    days = defaultdict(int)
    by_work = defaultdict(int)
    codes = {}
    for row in rows:
        codes[row.ward] = row.ward_code
        teams[row.ward].add(row.dispatch_id)
        people[row.ward] += 1
        days[row.ward] += (row.end_on - row.start_on).days + 1
        by_work[(row.ward, row.work)] += 1
    return SenderView(
        works=works,
        rows=[
            SenderRow(
                sender=sender,
                teams=len(teams[sender]),
                people=people[sender],
                person_days=days[sender],
                by_work=[by_work[(sender, work)] for work in works],
            )
            for sender in sorted(codes, key=lambda name: (codes[name], name))
        ],
    )


def table_rows(table, rows):
    """(title, header, body rows, footnote) of "directions" or "senders",
    for the exports."""
    if table == "directions":
        return (
            _("Help sent and received (支援・受援)"),
            [_("Organisation"), _("支援 (people sent)"), _("受援 (people received)")],
            [[r.organisation, r.sent, r.received] for r in directions(rows)],
            str(DIRECTIONS_NOTE),
        )
    view = sender_view(rows)
    return (
        _("What each organisation sent"),
        [
            _("Sending organisation"),
            _("Teams"),
            _("People sent"),
            _("Person-days"),
            *view.works,
        ],
        [[r.sender, r.teams, r.people, r.person_days, *r.by_work] for r in view.rows],
        str(SENDERS_NOTE),
    )
