"""What one organisation sent (支援) and received (受援), over all disasters.

Teams count as in the reports: not cancelled, planned ones included; people
are seats and person-days the whole planned stay of each person, travel days
included (as in the sender view of a disaster's page). Money and goods count
as recorded. A drill's figures are kept apart, never added to the real ones.
Four queries, whatever the number of disasters and teams.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, F, Q, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from members.models import Organisation

from .models import Dispatch, Seat, SupportGoods, SupportMoney

NOTE = gettext_lazy(
    "Teams: teams not cancelled, planned ones included, and the people in "
    "them; person-days: the whole planned stay of each person, travel days "
    "included. 支援: what the organisation sent itself (money and goods of the "
    "23 wards jointly are not counted for a ward); 受援: what was sent to it, "
    "jointly or not. Drills are never counted."
)
# The disaster's fields every grouped read carries, after its path.
KEYS = ("", "__name", "__occurred_on", "__is_drill")
DISASTER_VALUES = [f"disaster{key}" for key in KEYS]


@dataclass
class Side:
    """One direction (sent or received) in one disaster or in total."""

    teams: int = 0
    people: int = 0
    person_days: int = 0
    money: int = 0
    # {(item, unit): quantity}
    goods: dict = field(default_factory=lambda: defaultdict(int))

    def add(self, other):
        self.teams += other.teams
        self.people += other.people
        self.person_days += other.person_days
        self.money += other.money
        for key, quantity in other.goods.items():
            self.goods[key] += quantity

    @property
    def goods_text(self):
        """「毛布 100枚、水 2,000本」"""
        return "、".join(
            f"{item} {quantity:,}{unit}"
            for (item, unit), quantity in sorted(self.goods.items())
        )


@dataclass
class DisasterAid:
    disaster_id: int
    name: str
    occurred_on: object
    is_drill: bool
    sent: Side = field(default_factory=Side)
    received: Side = field(default_factory=Side)

    @property
    def label(self):
        """The name, with 【訓練】 in front of a drill's (as Disaster.label)."""
        if self.is_drill:
            return _("[Drill] %(name)s") % {"name": self.name}
        return self.name


@dataclass
class AidRecord:
    rows: list  # DisasterAid of real disasters, newest first
    total_sent: Side
    total_received: Side
    drills: list  # DisasterAid of drills, newest first


def organisation_aid(organisation: Organisation) -> AidRecord:
    """The organisation's 支援 and 受援 per disaster and in total."""
    pk = organisation.pk
    by_disaster = {}

    def entry(disaster_id, name, occurred_on, is_drill):
        if disaster_id not in by_disaster:
            by_disaster[disaster_id] = DisasterAid(
                disaster_id, name, occurred_on, is_drill
            )
        return by_disaster[disaster_id]

    sent = Q(dispatch__sender=pk)
    received = Q(dispatch__offer__request__municipality=pk)
    # Each seat is one person; its days are its team's, both ends included.
    days = F("dispatch__end_on") - F("dispatch__start_on")
    seats = (
        Seat.objects.filter(sent | received)
        .exclude(dispatch__status=Dispatch.Status.CANCELLED)
        .values(
            "dispatch__offer__request__disaster",
            "dispatch__offer__request__disaster__name",
            "dispatch__offer__request__disaster__occurred_on",
            "dispatch__offer__request__disaster__is_drill",
        )
        .annotate(
            sent_teams=Count("dispatch", filter=sent, distinct=True),
            sent_people=Count("pk", filter=sent),
            sent_days=Sum(days, filter=sent),
            received_teams=Count("dispatch", filter=received, distinct=True),
            received_people=Count("pk", filter=received),
            received_days=Sum(days, filter=received),
        )
        .order_by()
    )
    for row in seats:
        aid = entry(*(row[f"dispatch__offer__request__disaster{key}"] for key in KEYS))
        for side, prefix in ((aid.sent, "sent"), (aid.received, "received")):
            people = row[f"{prefix}_people"]
            side.teams = row[f"{prefix}_teams"]
            side.people = people
            spans = row[f"{prefix}_days"]
            side.person_days = (spans.days if spans else 0) + people

    paid = Q(payer=pk)
    got = Q(recipient=pk)
    money = (
        SupportMoney.objects.filter(paid | got)
        .values(*DISASTER_VALUES)
        .annotate(sent=Sum("amount", filter=paid), received=Sum("amount", filter=got))
        .order_by()
    )
    for row in money:
        aid = entry(*(row[f"disaster{key}"] for key in KEYS))
        aid.sent.money = row["sent"] or 0
        aid.received.money = row["received"] or 0

    goods = (
        SupportGoods.objects.filter(paid | got)
        .values(*DISASTER_VALUES, "item", "unit")
        .annotate(
            sent=Sum("quantity", filter=paid), received=Sum("quantity", filter=got)
        )
        .order_by()
    )
    for row in goods:
        aid = entry(*(row[f"disaster{key}"] for key in KEYS))
        key = (row["item"], row["unit"])
        if row["sent"]:
            aid.sent.goods[key] += row["sent"]
        if row["received"]:
            aid.received.goods[key] += row["received"]

    newest_first = sorted(
        by_disaster.values(), key=lambda aid: (aid.occurred_on, aid.disaster_id)
    )[::-1]
    rows = [aid for aid in newest_first if not aid.is_drill]
    total_sent, total_received = Side(), Side()
    for aid in rows:
        total_sent.add(aid.sent)
        total_received.add(aid.received)
    return AidRecord(
        rows=rows,
        total_sent=total_sent,
        total_received=total_received,
        drills=[aid for aid in newest_first if aid.is_drill],
    )
