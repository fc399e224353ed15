"""What the change history needs beyond the rows: the disaster and owner a
change belongs to, fixed when it is made, and names for the ids it holds."""

from collections import defaultdict
from collections.abc import Iterable

from django.core.exceptions import FieldDoesNotExist
from django.db.models import ForeignKey, Model
from django.utils.translation import gettext as _

from members.models import Organisation

from .models import (
    ChangeLog,
    Disaster,
    Dispatch,
    HelpRequest,
    Offer,
    ReportSnapshot,
    Seat,
    SupportGoods,
    SupportMoney,
)


def owner_of(obj: Model) -> tuple[int | None, int | None]:
    """(disaster id, owning organisation id) of a tracker row.

    The owner is the ward of an offer or team (and of a team's seats) and the
    payer of aid; the rest is the office's (None). Rows of no disaster, such
    as work types and reception plans, give (None, None).
    """
    match obj:
        case Disaster():
            return obj.pk, None
        case HelpRequest() | ReportSnapshot():
            return obj.disaster_id, None
        case SupportMoney() | SupportGoods():
            return obj.disaster_id, obj.payer_id
        case Offer():
            return obj.request.disaster_id, obj.sender_id
        case Dispatch():
            return obj.offer.request.disaster_id, obj.sender_id
        case Seat():
            return obj.dispatch.offer.request.disaster_id, obj.dispatch.sender_id
    return None, None


# What each kind of row needs to say its name without a query of its own.
_NAMED_WITH = {
    Organisation: ["prefecture"],
    HelpRequest: ["municipality__prefecture", "work_type"],
    Offer: ["sender", "request__municipality__prefecture", "request__work_type"],
    Dispatch: ["sender"],
}


def _label(obj: Model) -> str:
    return getattr(obj, "full_name", None) or str(obj)


def name_references(changes: Iterable[ChangeLog]) -> None:
    """Give each change `old_label` and `new_label`: a referenced row's name
    where the field points at a row, else the value as recorded.

    One query per kind of row referred to, whatever the number of changes;
    a row deleted since shows its id and that it was deleted.
    """
    changes = list(changes)
    wanted = defaultdict(set)
    for change in changes:
        change.old_label, change.new_label = change.old_value, change.new_value
        field = _foreign_key(change)
        if field is not None:
            for value in (change.old_value, change.new_value):
                if value.isdigit():
                    wanted[field.related_model].add(int(value))
    names = {}
    for model, ids in wanted.items():
        rows = model._default_manager.filter(pk__in=ids)
        if model in _NAMED_WITH:
            rows = rows.select_related(*_NAMED_WITH[model])
        names.update(((model, row.pk), _label(row)) for row in rows)
    for change in changes:
        field = _foreign_key(change)
        if field is None:
            continue
        for value, attribute in (
            (change.old_value, "old_label"),
            (change.new_value, "new_label"),
        ):
            if value.isdigit():
                setattr(
                    change,
                    attribute,
                    names.get(
                        (field.related_model, int(value)),
                        _("#%(id)s (deleted)") % {"id": value},
                    ),
                )


def _foreign_key(change: ChangeLog) -> ForeignKey | None:
    model = change.content_type.model_class()
    if model is None or not change.field:
        return None
    try:
        field = model._meta.get_field(change.field)
    except FieldDoesNotExist:
        return None
    return field if isinstance(field, ForeignKey) else None
