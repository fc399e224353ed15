"""Who may do what in the disaster tracker; the only module deciding it.

The office runs the tracker. Staff of an affected member municipality enter
and follow their own requests; a ward edits its own offers and dispatches;
joint (23区共同) offers and dispatches belong to the office. Every member
reads the reports.
"""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q

from members.models import Organisation
from members.permissions import can_use_members_area, is_office_staff, is_ward_staff

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


def can_view_reports(user):
    return can_use_members_area(user)


def can_manage_disasters(user):
    return is_office_staff(user)


def _is_affected(organisation, disaster):
    prefecture_ids = {prefecture.pk for prefecture in disaster.prefectures.all()}
    return (
        organisation.prefecture_id in prefecture_ids
        or organisation.pk in prefecture_ids
    )


def can_enter_request(user, disaster, municipality=None):
    """The office for anyone; members of an affected area for themselves."""
    if not can_use_members_area(user) or disaster.is_closed:
        return False
    if is_office_staff(user):
        return True
    organisation = user.organisation
    if municipality is not None and municipality.pk != organisation.pk:
        return False
    return organisation.is_member and _is_affected(organisation, disaster)


def can_edit_request(user, help_request):
    if not can_use_members_area(user):
        return False
    return is_office_staff(user) or help_request.municipality_id == (
        user.organisation_id
    )


def can_see_request(user, help_request):
    """Members read reports; the request log itself is for those involved."""
    return can_edit_request(user, help_request) or is_ward_staff(user)


def _own_ward(user, ward_id):
    return (
        is_ward_staff(user)
        and user.organisation.kind == Organisation.Kind.SPECIAL_WARD
        and user.organisation_id == ward_id
    )


def can_offer(user, help_request):
    """The office, and any ward (for itself), while the disaster is open."""
    if help_request.disaster.is_closed or not can_use_members_area(user):
        return False
    return is_office_staff(user) or (
        is_ward_staff(user) and user.organisation.kind == Organisation.Kind.SPECIAL_WARD
    )


def can_edit_offer(user, offer):
    if is_office_staff(user):
        return True
    return not offer.is_joint and _own_ward(user, offer.ward_id)


def can_edit_dispatch(user, dispatch):
    """Joint dispatches by the office; a ward's own by that ward."""
    if is_office_staff(user):
        return True
    return not dispatch.offer.is_joint and _own_ward(user, dispatch.ward_id)


def can_add_dispatch(user, offer):
    return can_edit_offer(user, offer)


def can_see_names(user, dispatch):
    """Names of people sent are for the dispatching ward and the office."""
    return is_office_staff(user) or _own_ward(user, dispatch.ward_id)


def can_publish_snapshot(user):
    """Publishing speaks for the 23 wards, so only the office does it."""
    return is_office_staff(user)


def can_record_aid(user):
    """The office records any money or goods; a ward records its own."""
    return is_office_staff(user) or (
        is_ward_staff(user) and user.organisation.kind == Organisation.Kind.SPECIAL_WARD
    )


def can_see_history(user):
    """The office sees every change; a ward sees those to its own rows."""
    return can_record_aid(user)


def visible_changes(user, disaster):
    """ChangeLog rows about a disaster's rows that the user may see.

    ChangeLog points at rows generically, so rows are matched by type and id;
    changes to rows deleted since can no longer be tied to a disaster.
    """
    office = is_office_staff(user)

    def changes_of(model, ward_field, **lookups):
        rows = model.objects.filter(**lookups)
        if not office:
            rows = rows.filter(**{ward_field: user.organisation_id})
        return Q(
            content_type=ContentType.objects.get_for_model(model),
            object_id__in=rows.values("pk"),
        )

    # The wards own offers, dispatches, seats and their own aid; the rest
    # (the disaster, requests, publications) is the office's.
    condition = (
        changes_of(Offer, "ward", request__disaster=disaster)
        | changes_of(Dispatch, "ward", offer__request__disaster=disaster)
        | changes_of(
            Seat, "dispatch__ward", dispatch__offer__request__disaster=disaster
        )
        | changes_of(SupportMoney, "payer", disaster=disaster)
        | changes_of(SupportGoods, "payer", disaster=disaster)
    )
    if office:
        condition |= (
            Q(
                content_type=ContentType.objects.get_for_model(Disaster),
                object_id=disaster.pk,
            )
            | changes_of(HelpRequest, None, disaster=disaster)
            | changes_of(ReportSnapshot, None, disaster=disaster)
        )
    return ChangeLog.objects.filter(condition).select_related(
        "changed_by", "content_type"
    )
