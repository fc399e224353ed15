"""復興支援金 by damage points: figures × weights → points → share → amount.

Each affected municipality's damage counts (households per category, as of
a day) are multiplied by the disaster's point weights and summed into its
points. Its share of a total is its points over all points, and its amount
is the total times that share, rounded DOWN to the thousand yen (千円未満切り
捨て). What the rounding leaves over is stated as unallocated; it is not
handed to anyone, so every amount follows from the stated rule alone.

All sums are in integers: amount = total × points ÷ (all points × 1,000),
rounded down, × 1,000. No floating point is involved.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from members.common.eras import format_wareki

from .models import (
    DAMAGE_CATEGORIES,
    DAMAGE_FIELDS,
    Allocation,
    DamageFigures,
    DamageWeights,
)

ROUNDING_UNIT = 1000

ALLOCATION_NOTE = gettext_lazy(
    "Points: each category's households times its weight, summed. Share: the "
    "municipality's points over all points. Amount: the total times the share, "
    "rounded down to the thousand yen; what the rounding leaves is stated as "
    "unallocated and paid to no one. Each municipality's latest figures on or "
    "before the date are used."
)
TOTALS_NOTE = gettext_lazy(
    "Support money paid and goods sent on or before the date above, added up "
    "per recipient and per giver; goods are added up per item and unit."
)


def category_labels():
    return [str(label) for _name, label, _points in DAMAGE_CATEGORIES]


def default_weights() -> dict[str, int]:
    return {name: points for name, _label, points in DAMAGE_CATEGORIES}


def weights_for(disaster) -> dict[str, int]:
    """The disaster's weights, or the defaults if the office set none."""
    try:
        return disaster.damage_weights.as_dict()
    except DamageWeights.DoesNotExist:
        return default_weights()


def latest_figures(disaster, as_of: datetime.date) -> list[DamageFigures]:
    """Each municipality's latest figures on or before `as_of`: one query."""
    return list(
        DamageFigures.objects.filter(disaster=disaster, as_of__lte=as_of)
        .order_by("municipality_id", "-as_of")
        .distinct("municipality_id")
        .select_related("municipality__prefecture")
    )


@dataclass(frozen=True)
class Line:
    municipality: object  # Organisation
    figures_as_of: datetime.date
    counts: dict  # category → households
    weights: dict  # category → points per household
    products: dict  # category → households × weight
    points: int
    share: Fraction
    amount: int

    @property
    def cells(self):
        """(households, weight, product) per category, in category order."""
        return [
            (self.counts[name], self.weights[name], self.products[name])
            for name in DAMAGE_FIELDS
        ]

    @property
    def share_percent(self):
        return format_share(self.share)


@dataclass(frozen=True)
class Calculation:
    total: int
    as_of: datetime.date
    weights: dict
    lines: list
    points: int

    @property
    def allocated(self):
        return sum(line.amount for line in self.lines)

    @property
    def unallocated(self):
        return self.total - self.allocated


def format_share(share: Fraction) -> str:
    """A share as a percentage to three decimals, for display only."""
    return f"{float(share * 100):.3f}%"


def format_share_of(points: int, all_points: int) -> str:
    return format_share(Fraction(points, all_points)) if all_points else ""


def amount_for(total: int, points: int, all_points: int) -> int:
    """total × points / all_points, rounded down to the thousand yen."""
    return total * points // (all_points * ROUNDING_UNIT) * ROUNDING_UNIT


def compute(
    *, total: int, as_of: datetime.date, weights: dict, figures: list
) -> Calculation:
    """Share `total` among the municipalities in `figures` by their points.

    Refused when there are no points at all: there would be nothing to share
    by.
    """
    rows = []
    for row in figures:
        counts = row.as_dict()
        products = {name: counts[name] * weights[name] for name in DAMAGE_FIELDS}
        rows.append((row, counts, products, sum(products.values())))
    all_points = sum(points for *_rest, points in rows)
    if all_points == 0:
        raise ValidationError(
            _(
                "No damage points are recorded on or before this date, so "
                "there is nothing to share the amount by."
            ),
            code="no_points",
        )
    lines = [
        Line(
            municipality=row.municipality,
            figures_as_of=row.as_of,
            counts=counts,
            weights=weights,
            products=products,
            points=points,
            share=Fraction(points, all_points),
            amount=amount_for(total, points, all_points),
        )
        for row, counts, products, points in rows
    ]
    lines.sort(key=lambda line: (-line.points, line.municipality.code or ""))
    return Calculation(
        total=total, as_of=as_of, weights=weights, lines=lines, points=all_points
    )


def calculate(disaster, *, total: int, as_of: datetime.date) -> Calculation:
    """The calculation on today's figures and weights (not frozen)."""
    return compute(
        total=total,
        as_of=as_of,
        weights=weights_for(disaster),
        figures=latest_figures(disaster, as_of),
    )


def basis_text(allocation: Allocation, line, all_points: int) -> str:
    """What a SupportMoney row made from a frozen line says about its basis."""
    parts = [
        f"{label} {line.figures[name]}×{allocation.weights[name]}"
        for name, label, _points in DAMAGE_CATEGORIES
        if line.figures.get(name)
    ]
    return _(
        "Damage points %(points)s of %(all)s (%(parts)s; figures as of "
        "%(figures_as_of)s). Total %(total)s yen × share, rounded down to the "
        "thousand yen. Payment decision: %(reference)s (%(decided_on)s)."
    ) % {
        "points": f"{line.points:,}",
        "all": f"{all_points:,}",
        "parts": "、".join(parts),
        "figures_as_of": format_wareki(line.figures_as_of),
        "total": f"{allocation.total:,}",
        "reference": allocation.reference,
        "decided_on": format_wareki(allocation.decided_on),
    }


def frozen_allocations(disaster, as_of: datetime.date | None = None):
    """Frozen allocations with their lines: two queries."""
    allocations = disaster.allocations.prefetch_related(
        "lines__municipality__prefecture"
    )
    if as_of is not None:
        allocations = allocations.filter(decided_on__lte=as_of)
    return list(allocations)


def allocation_points(allocation: Allocation) -> int:
    return sum(line.points for line in allocation.lines.all())


@dataclass(frozen=True)
class AidTotals:
    money_by_recipient: list  # (name, yen)
    money_by_payer: list  # (name, yen)
    goods_by_recipient: list  # (name, item, unit, quantity)
    goods_by_payer: list  # (name, item, unit, quantity)


def _giver(aid):
    return str(_("23 wards jointly")) if aid.is_joint else aid.payer.full_name


def aid_totals(money, goods) -> AidTotals:
    """Totals per recipient and per payer from the listed rows (no query)."""
    by_recipient = defaultdict(int)
    by_payer = defaultdict(int)
    for row in money:
        by_recipient[row.recipient.full_name] += row.amount
        by_payer[_giver(row)] += row.amount
    goods_recipient = defaultdict(int)
    goods_payer = defaultdict(int)
    for row in goods:
        goods_recipient[(row.recipient.full_name, row.item, row.unit)] += row.quantity
        goods_payer[(_giver(row), row.item, row.unit)] += row.quantity

    def by_amount(totals):
        return sorted(totals.items(), key=lambda item: (-item[1], item[0]))

    return AidTotals(
        money_by_recipient=by_amount(by_recipient),
        money_by_payer=by_amount(by_payer),
        goods_by_recipient=[
            (*key, qty) for key, qty in sorted(goods_recipient.items())
        ],
        goods_by_payer=[(*key, qty) for key, qty in sorted(goods_payer.items())],
    )


# The tables snapshot_tables() adds to a published snapshot, in page order.
SNAPSHOT_TABLES = (
    "allocations",
    "money_by_recipient",
    "money_by_payer",
    "goods_by_recipient",
    "goods_by_payer",
)


def snapshot_tables(disaster, as_of, money, goods) -> dict:
    """The allocations and the aid totals as (title, header, rows, note), for
    published snapshots."""
    totals = aid_totals(money, goods)
    allocation_rows = []
    for allocation in frozen_allocations(disaster, as_of):
        all_points = allocation_points(allocation)
        for line in allocation.lines.all():
            allocation_rows.append(
                [
                    allocation.reference,
                    format_wareki(allocation.decided_on),
                    allocation.total,
                    line.municipality.full_name,
                    format_wareki(line.figures_as_of),
                    *(
                        f"{line.figures[name]}×{allocation.weights[name]}"
                        for name in DAMAGE_FIELDS
                    ),
                    line.points,
                    format_share(Fraction(line.points, all_points)),
                    line.amount,
                ]
            )
        allocation_rows.append(
            [
                allocation.reference,
                format_wareki(allocation.decided_on),
                allocation.total,
                _("Unallocated (rounding)"),
                "",
                *([""] * len(DAMAGE_FIELDS)),
                all_points,
                "",
                allocation.unallocated,
            ]
        )
    return {
        "allocations": (
            _("Reconstruction support money by damage points"),
            [
                _("Payment decision"),
                _("Payment decided on"),
                _("Total amount (yen)"),
                _("Municipality"),
                _("Figures as of"),
                *(
                    _("%(category)s (households × points)") % {"category": label}
                    for label in category_labels()
                ),
                _("Points"),
                _("Share"),
                _("Amount (yen)"),
            ],
            allocation_rows,
            str(ALLOCATION_NOTE),
        ),
        "money_by_recipient": (
            _("Support money by recipient"),
            [_("Recipient"), _("Amount (yen)")],
            [list(row) for row in totals.money_by_recipient],
            str(TOTALS_NOTE),
        ),
        "money_by_payer": (
            _("Support money by payer"),
            [_("Payer"), _("Amount (yen)")],
            [list(row) for row in totals.money_by_payer],
            str(TOTALS_NOTE),
        ),
        "goods_by_recipient": (
            _("Support goods by recipient"),
            [_("Recipient"), _("Item"), _("Unit"), _("Quantity")],
            [list(row) for row in totals.goods_by_recipient],
            str(TOTALS_NOTE),
        ),
        "goods_by_payer": (
            _("Support goods by giver"),
            [_("Provided by"), _("Item"), _("Unit"), _("Quantity")],
            [list(row) for row in totals.goods_by_payer],
            str(TOTALS_NOTE),
        ),
    }
