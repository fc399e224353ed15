"""Writes of the 復興支援金 calculation, each one recorded in ChangeLog.

Rights are checked by the views (permissions.py); these functions keep the
data's own rules: figures for an affected municipality, dated between the
disaster and today; weights fixed once a payment is frozen; a frozen
allocation paid once.
"""

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from members.models import Organisation, User

from . import damage
from .models import (
    Allocation,
    AllocationLine,
    ChangeLog,
    DamageFigures,
    DamageWeights,
    Disaster,
    SupportMoney,
)
from .services import _create, _log, _update, _values


def affected_municipalities(disaster: Disaster):
    """Municipalities in one of the disaster's prefectures."""
    prefecture_ids = [prefecture.pk for prefecture in disaster.prefectures.all()]
    return (
        Organisation.objects.local_governments()
        .filter(prefecture_id__in=prefecture_ids)
        .select_related("prefecture")
        .order_by("code", "pk")
    )


def _check_affected(disaster, municipality):
    if not affected_municipalities(disaster).filter(pk=municipality.pk).exists():
        raise ValidationError(
            {
                "municipality": ValidationError(
                    _("This municipality is not in an affected prefecture."),
                    code="not_affected",
                )
            }
        )


@transaction.atomic
def figures_create(
    *, disaster: Disaster, municipality: Organisation, actor: User | None, **fields: Any
) -> DamageFigures:
    """Record a municipality's damage counts as of a day."""
    _check_affected(disaster, municipality)
    return _create(
        DamageFigures(disaster=disaster, municipality=municipality, **fields),
        actor=actor,
    )


@transaction.atomic
def figures_update(
    *, figures: DamageFigures, actor: User | None, **fields: Any
) -> DamageFigures:
    """Correct recorded figures; frozen allocations keep their own copy."""
    locked = DamageFigures.objects.select_for_update().get(pk=figures.pk)
    return _update(locked, actor=actor, fields=fields)


@transaction.atomic
def weights_update(
    *, disaster: Disaster, actor: User | None, **weights: int
) -> DamageWeights:
    """Set the disaster's point weights; refused once a payment is frozen
    (DamageWeights.clean)."""
    # Lock the disaster so a freeze cannot slip in between check and save.
    Disaster.objects.select_for_update().get(pk=disaster.pk)
    try:
        current = DamageWeights.objects.get(disaster=disaster)
    except DamageWeights.DoesNotExist:
        return _create(DamageWeights(disaster=disaster, **weights), actor=actor)
    return _update(current, actor=actor, fields=weights)


def _check_day(disaster, day, field):
    if day < disaster.occurred_on:
        raise ValidationError(
            {
                field: ValidationError(
                    _("The date must be on or after the day of the disaster."),
                    code="before_disaster",
                )
            }
        )
    if day > timezone.localdate():
        raise ValidationError(
            {
                field: ValidationError(
                    _("The date cannot be in the future."), code="future"
                )
            }
        )


@transaction.atomic
def allocation_freeze(
    *,
    disaster: Disaster,
    total: int,
    as_of: datetime.date,
    decided_on: datetime.date,
    reference: str,
    actor: User | None,
) -> Allocation:
    """Compute the shares on today's figures and weights and store the lines
    with the payment decision, so later edits leave them unchanged."""
    Disaster.objects.select_for_update().get(pk=disaster.pk)
    if total < 1:
        raise ValidationError(
            {
                "total": ValidationError(
                    _("Enter an amount of one yen or more."), code="not_positive"
                )
            }
        )
    _check_day(disaster, as_of, "as_of")
    _check_day(disaster, decided_on, "decided_on")
    if decided_on < as_of:
        raise ValidationError(
            {
                "decided_on": ValidationError(
                    _("The decision cannot come before the figures it uses."),
                    code="decided_before_figures",
                )
            }
        )
    if not reference.strip():
        raise ValidationError(
            {
                "reference": ValidationError(
                    _("Enter the payment decision's reference."), code="required"
                )
            }
        )
    calculation = damage.calculate(disaster, total=total, as_of=as_of)
    allocation = _create(
        Allocation(
            disaster=disaster,
            total=total,
            as_of=as_of,
            decided_on=decided_on,
            reference=reference.strip(),
            weights=calculation.weights,
            unallocated=calculation.unallocated,
            frozen_by=actor,
        ),
        actor=actor,
    )
    for line in calculation.lines:
        _create(
            AllocationLine(
                allocation=allocation,
                municipality=line.municipality,
                figures_as_of=line.figures_as_of,
                figures=line.counts,
                points=line.points,
                amount=line.amount,
            ),
            actor=actor,
        )
    return allocation


@transaction.atomic
def allocation_pay(
    *, allocation: Allocation, paid_on: datetime.date, actor: User | None
) -> list[SupportMoney]:
    """Record the frozen amounts as support money paid by the 23 wards
    jointly, one row per municipality with an amount, all or nothing."""
    locked = Allocation.objects.select_for_update().get(pk=allocation.pk)
    if locked.paid_on is not None:
        raise ValidationError(
            _("This allocation has already been recorded as paid."),
            code="already_paid",
        )
    disaster = locked.disaster
    _check_day(disaster, paid_on, "paid_on")
    if paid_on < locked.decided_on:
        raise ValidationError(
            {
                "paid_on": ValidationError(
                    _("Payment cannot come before the payment decision."),
                    code="paid_before_decision",
                )
            }
        )
    lines = list(locked.lines.select_related("municipality__prefecture"))
    all_points = sum(line.points for line in lines)
    paid = []
    for line in lines:
        if line.amount == 0:
            continue
        money = _create(
            SupportMoney(
                disaster=disaster,
                kind=SupportMoney.Kind.RECONSTRUCTION,
                is_joint=True,
                recipient=line.municipality,
                amount=line.amount,
                basis=damage.basis_text(locked, line, all_points),
                paid_on=paid_on,
            ),
            actor=actor,
        )
        old = _values(line)
        line.money = money
        line.save(update_fields=["money"])
        _log(
            line,
            action=ChangeLog.Action.UPDATE,
            actor=actor,
            old=old,
            new=_values(line),
        )
        paid.append(money)
    _update(locked, actor=actor, fields={"paid_on": paid_on})
    return paid
