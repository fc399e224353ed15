"""Who may do what in the disaster tracker; the only module deciding it.

The office runs the tracker. Staff of an affected member municipality enter
and follow their own requests; a ward edits its own offers and dispatches;
joint (23区共同) offers and dispatches belong to the office. Every member
reads the reports.
"""

from members.models import Organisation
from members.permissions import can_use_members_area, is_office_staff, is_ward_staff


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
