"""Every write of the disaster tracker, each one recorded in ChangeLog.

Rights are checked by the views (permissions.py); these functions keep the
data's own rules: no new work for a closed disaster, dates in order, at
least one person.
"""

import datetime
from collections.abc import Callable, Sequence
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import router, transaction
from django.db.models import Model, QuerySet
from django.db.models.deletion import Collector
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from members.common.versioning import version_bump, version_check
from members.models import Organisation, User

from . import history, reports, snapshots
from .models import (
    ChangeLog,
    Disaster,
    Dispatch,
    HelpRequest,
    Offer,
    ReceptionNeed,
    ReceptionPartner,
    ReceptionPlan,
    ReceptionSite,
    ReportSnapshot,
    Seat,
    SupportGoods,
    SupportMoney,
)


def _values(obj):
    # Non-editable fields (the edit counters) are bookkeeping, not history.
    return {
        field.name: field.value_from_object(obj)
        for field in obj._meta.concrete_fields
        if not field.primary_key and field.editable
    }


def _text(value):
    return "" if value is None else str(value)


def _log(obj, *, action, actor, old=None, new=None):
    """One ChangeLog row per field that changed (all fields on create/delete)."""
    old = old or {}
    new = new or {}
    content_type = ContentType.objects.get_for_model(obj)
    disaster_ref, owner_ref = history.owner_of(obj)
    ChangeLog.objects.bulk_create(
        ChangeLog(
            content_type=content_type,
            object_id=obj.pk,
            disaster_ref=disaster_ref,
            owner_ref=owner_ref,
            action=action,
            field=name,
            old_value=_text(old.get(name)),
            new_value=_text(new.get(name)),
            changed_by=actor,
        )
        for name in sorted(set(old) | set(new))
        if old.get(name) != new.get(name)
    )


def _create(obj, *, actor):
    obj.full_clean()
    obj.save()
    _log(obj, action=ChangeLog.Action.CREATE, actor=actor, new=_values(obj))
    return obj


def _update(obj, *, actor, fields):
    old = _values(obj)
    for name, value in fields.items():
        setattr(obj, name, value)
    obj.full_clean()
    obj.save()
    _log(obj, action=ChangeLog.Action.UPDATE, actor=actor, old=old, new=_values(obj))
    return obj


def _delete(obj, *, actor):
    """Delete a row, logging it and every tracker row deleted along with it."""
    collector = Collector(using=router.db_for_write(type(obj)))
    collector.collect([obj])
    doomed = [
        instance for instances in collector.data.values() for instance in instances
    ]
    for queryset in collector.fast_deletes:
        doomed.extend(queryset)
    for instance in doomed:
        opts = instance._meta
        if opts.app_label == ChangeLog._meta.app_label and not opts.auto_created:
            _log(
                instance,
                action=ChangeLog.Action.DELETE,
                actor=actor,
                old=_values(instance),
            )
    collector.delete()


def _refuse_if_closed(disaster):
    if disaster.is_closed:
        raise ValidationError(
            _("This disaster is closed; no new help can be recorded for it."),
            code="disaster_closed",
        )


@transaction.atomic
def disaster_create(
    *,
    name: str,
    kind: str,
    occurred_on: datetime.date,
    prefectures: Sequence[Organisation] | QuerySet[Organisation],
    actor: User | None,
    is_drill: bool = False,
) -> Disaster:
    """Open a disaster (or a drill) affecting some prefectures; `actor` is
    its creator."""
    disaster = _create(
        Disaster(
            name=name,
            kind=kind,
            occurred_on=occurred_on,
            created_by=actor,
            is_drill=is_drill,
        ),
        actor=actor,
    )
    disaster.prefectures.set(prefectures)
    _log(
        disaster,
        action=ChangeLog.Action.UPDATE,
        actor=actor,
        new={"prefectures": ", ".join(p.name for p in prefectures)},
    )
    return disaster


@transaction.atomic
def disaster_close(*, disaster: Disaster, actor: User | None) -> Disaster:
    """Close a disaster: no new requests, offers or teams for it."""
    return _update(disaster, actor=actor, fields={"status": Disaster.Status.CLOSED})


@transaction.atomic
def request_create(
    *, disaster: Disaster, actor: User | None, **fields: Any
) -> HelpRequest:
    """Record a municipality's request for help; `actor` entered it."""
    _refuse_if_closed(disaster)
    return _create(
        HelpRequest(disaster=disaster, entered_by=actor, **fields), actor=actor
    )


@transaction.atomic
def request_update(
    *,
    help_request: HelpRequest,
    actor: User | None,
    version: int | None = None,
    **fields: Any,
) -> HelpRequest:
    """Change a request; with `version`, refused if someone saved in between."""
    locked = HelpRequest.objects.select_for_update().get(pk=help_request.pk)
    if version is not None:
        version_check(locked, version)
    help_request = _update(locked, actor=actor, fields=fields)
    version_bump(help_request)
    return help_request


@transaction.atomic
def offer_create(*, request: HelpRequest, actor: User | None, **fields: Any) -> Offer:
    """Record a ward's (or the 23 wards' joint) offer of people."""
    _refuse_if_closed(request.disaster)
    return _create(Offer(request=request, **fields), actor=actor)


@transaction.atomic
def offer_update(
    *, offer: Offer, actor: User | None, version: int | None = None, **fields: Any
) -> Offer:
    """Change an offer's fields; with `version`, refused if someone saved in
    between."""
    locked = Offer.objects.select_for_update().get(pk=offer.pk)
    if version is not None:
        version_check(locked, version)
    offer = _update(locked, actor=actor, fields=fields)
    version_bump(offer)
    return offer


@transaction.atomic
def dispatch_create(
    *,
    offer: Offer,
    actor: User | None,
    seats: Sequence[tuple[str, str]],
    **fields: Any,
) -> Dispatch:
    """A team with its seats; seats are (job type, name) pairs, one per person."""
    _refuse_if_closed(offer.request.disaster)
    if not seats:
        raise ValidationError(_("A team needs at least one person."), code="no_people")
    dispatch = _create(Dispatch(offer=offer, **fields), actor=actor)
    for job_type, person_name in seats:
        _create(
            Seat(dispatch=dispatch, job_type=job_type, person_name=person_name),
            actor=actor,
        )
    return dispatch


@transaction.atomic
def dispatch_update(
    *,
    dispatch: Dispatch,
    actor: User | None,
    seats: Sequence[tuple[int | None, str, str]] | None = None,
    version: int | None = None,
    **fields: Any,
) -> Dispatch:
    """The team's fields and, if given, its seats as (seat id, job type, name).

    Seats missing from the list are removed and those without an id added, so
    the team ends exactly as listed; one failure leaves everything unchanged.
    With `version`, refused if someone saved the team or its seats in between.
    """
    _refuse_if_closed(dispatch.offer.request.disaster)
    locked = Dispatch.objects.select_for_update().get(pk=dispatch.pk)
    if version is not None:
        version_check(locked, version)
    dispatch = _update(locked, actor=actor, fields=fields)
    if seats is not None:
        _replace_seats(dispatch, seats, actor=actor)
    version_bump(dispatch)
    return dispatch


def _replace_seats(dispatch, seats, *, actor):
    if not seats:
        raise ValidationError(_("A team needs at least one person."), code="no_people")
    current = {seat.pk: seat for seat in dispatch.seats.all()}
    if not {pk for pk, _job, _name in seats if pk} <= set(current):
        # Only the team's own seats can be edited, whatever the form sent.
        raise ValidationError(
            _("A person listed is not in this team."), code="other_seat"
        )
    kept = set()
    for pk, job_type, person_name in seats:
        fields = {"job_type": job_type, "person_name": person_name}
        if pk:
            kept.add(pk)
            seat = current[pk]
            if (seat.job_type, seat.person_name) != (job_type, person_name):
                _update(seat, actor=actor, fields=fields)
        else:
            _create(Seat(dispatch=dispatch, **fields), actor=actor)
    for pk, seat in current.items():
        if pk not in kept:
            _delete(seat, actor=actor)


@transaction.atomic
def dispatch_delete(*, dispatch: Dispatch, actor: User | None) -> None:
    """Delete a team and its seats, logging each."""
    for seat in dispatch.seats.all():
        _delete(seat, actor=actor)
    _delete(dispatch, actor=actor)


# Per kind of aid: the field with its day, the field with its amount, and
# what to say when the amount is not positive.
_AID_FIELDS = {
    SupportMoney: (
        "paid_on",
        "amount",
        gettext_lazy("Enter an amount of one yen or more."),
    ),
    SupportGoods: (
        "sent_on",
        "quantity",
        gettext_lazy("Enter a quantity of one or more."),
    ),
}


def _aid_create(model, *, disaster, actor, fields):
    """Record aid, given after the disaster and in a positive amount."""
    day_field, number_field, message = _AID_FIELDS[model]
    errors = {}
    number = fields.get(number_field)
    if number is not None and number < 1:
        errors[number_field] = ValidationError(message, code="not_positive")
    day = fields.get(day_field)
    if day is not None and day < disaster.occurred_on:
        errors[day_field] = ValidationError(
            _("The date must be on or after the day of the disaster."),
            code="before_disaster",
        )
    if errors:
        raise ValidationError(errors)
    return _create(model(disaster=disaster, **fields), actor=actor)


@transaction.atomic
def money_create(
    *, disaster: Disaster, actor: User | None, **fields: Any
) -> SupportMoney:
    """Record support money paid for a disaster."""
    return _aid_create(SupportMoney, disaster=disaster, actor=actor, fields=fields)


@transaction.atomic
def goods_create(
    *, disaster: Disaster, actor: User | None, **fields: Any
) -> SupportGoods:
    """Record support goods sent for a disaster."""
    return _aid_create(SupportGoods, disaster=disaster, actor=actor, fields=fields)


def _refuse_drill_mix(disaster):
    """A drill's figures never go into a report published as real, nor real
    figures into a drill's: the flag must match every snapshot so far."""
    published = disaster.snapshots.values_list("data", flat=True)
    if any(bool(data.get("is_drill")) != disaster.is_drill for data in published):
        raise ValidationError(
            _("A drill and a real disaster cannot be mixed in published reports."),
            code="drill_mixed",
        )


@transaction.atomic
def snapshot_publish(
    *, disaster: Disaster, as_of: datetime.date, actor: User
) -> ReportSnapshot:
    """Freeze the report as of a day, approved by `actor`; rights are checked
    by the view."""
    reports.check_as_of(disaster, as_of)
    _refuse_drill_mix(disaster)
    snapshot = ReportSnapshot.objects.create(
        disaster=disaster,
        title=_("%(disaster)s: staff dispatched") % {"disaster": disaster.label},
        as_of=as_of,
        approved_by=actor,
        approver_name=actor.display_name,
        data=snapshots.freeze(disaster, as_of),
    )
    # The rows themselves are in the snapshot; the log says who published what.
    values = _values(snapshot)
    del values["data"]
    _log(snapshot, action=ChangeLog.Action.CREATE, actor=actor, new=values)
    return snapshot


@transaction.atomic
def admin_save(*, obj: Model, actor: User) -> Model:
    """Save a row edited in Django admin, recording each changed field."""
    if obj.pk is None:
        if isinstance(obj, Dispatch):
            _refuse_if_closed(obj.offer.request.disaster)
        _create(obj, actor=actor)
    else:
        old = _values(type(obj).objects.get(pk=obj.pk))
        obj.full_clean()
        obj.save()
        _log(
            obj, action=ChangeLog.Action.UPDATE, actor=actor, old=old, new=_values(obj)
        )
    _bump_edited(obj)
    return obj


def _bump_edited(obj):
    """An admin edit also refuses the site's edit forms opened before it."""
    if isinstance(obj, Dispatch | HelpRequest | Offer | ReceptionPlan):
        version_bump(obj)
    elif isinstance(obj, Seat):
        version_bump(obj.dispatch)
    elif isinstance(obj, ReceptionNeed | ReceptionSite | ReceptionPartner):
        version_bump(obj.plan)


def _related_values(obj):
    return {
        field.name: ", ".join(str(item) for item in getattr(obj, field.name).all())
        for field in obj._meta.many_to_many
    }


@transaction.atomic
def admin_save_related(*, obj: Model, actor: User, save: Callable[[], None]) -> None:
    """Save what an admin form relates to a row, logging many-to-many changes."""
    old = _related_values(obj)
    save()
    _log(
        obj,
        action=ChangeLog.Action.UPDATE,
        actor=actor,
        old=old,
        new=_related_values(obj),
    )


@transaction.atomic
def admin_delete(*, obj: Model, actor: User) -> None:
    """Delete a row from Django admin, logging it and what goes with it."""
    _delete(obj, actor=actor)
    if isinstance(obj, Seat):
        _bump_edited(obj)
