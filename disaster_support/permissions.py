"""Who may do what in the disaster tracker; the only module deciding it.

The office runs the tracker and corrects anything. Staff of an affected
member municipality (a ward hit by a disaster too) enter and edit their own
requests; staff of any member organisation offer help and send teams in
their own name, and edit them, until the request or disaster is closed;
joint (23区共同) offers and dispatches belong to the office. Every member
reads the reports.
"""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet

from members.models import Organisation, User
from members.permissions import (
    can_use_members_area,
    is_office_staff,
    is_special_ward_staff,
)

from .models import (
    Allocation,
    AllocationLine,
    ChangeLog,
    DamageFigures,
    DamageWeights,
    Disaster,
    Dispatch,
    HelpRequest,
    Offer,
    ReportSnapshot,
    Seat,
    SupportGoods,
    SupportMoney,
)


def can_view_reports(user: User) -> bool:
    """Every member reads the reports and the published snapshots."""
    return can_use_members_area(user)


def can_manage_disasters(user: User) -> bool:
    """The office opens and closes disasters."""
    return is_office_staff(user)


def acting_organisation(user: User) -> Organisation | None:
    """The organisation in whose name the user records requests, offers and
    aid: None for the office, which acts for anyone (the form asks), else the
    user's own organisation, the only one they may act for."""
    return None if is_office_staff(user) else user.organisation


def _is_affected(organisation: Organisation, disaster: Disaster) -> bool:
    prefecture_ids = {prefecture.pk for prefecture in disaster.prefectures.all()}
    return (
        organisation.prefecture_id in prefecture_ids
        or organisation.pk in prefecture_ids
    )


def can_enter_request(
    user: User, disaster: Disaster, municipality: Organisation | None = None
) -> bool:
    """The office for anyone; members of an affected area for themselves."""
    if not can_use_members_area(user) or disaster.is_closed:
        return False
    organisation = acting_organisation(user)
    if organisation is None:
        return True
    if municipality is not None and municipality.pk != organisation.pk:
        return False
    return organisation.is_member and _is_affected(organisation, disaster)


def is_request_closed(help_request: HelpRequest) -> bool:
    """Closed: completed or declined, or its disaster closed."""
    return help_request.disaster.is_closed or help_request.status in {
        HelpRequest.Status.COMPLETED,
        HelpRequest.Status.DECLINED,
    }


def can_edit_request(user: User, help_request: HelpRequest) -> bool:
    """The office always; the requesting municipality its own, until closed."""
    if not can_use_members_area(user):
        return False
    if is_office_staff(user):
        return True
    return help_request.municipality_id == user.organisation_id and (
        not is_request_closed(help_request)
    )


def can_see_request(user: User, help_request: HelpRequest) -> bool:
    """Any member reads a request, so that any member can answer it."""
    return can_use_members_area(user)


def can_see_open_requests(user: User) -> bool:
    """Any member looks for requests it could answer."""
    return can_use_members_area(user)


def _own_sender(user: User, sender_id: int | None) -> bool:
    return (
        sender_id is not None
        and can_use_members_area(user)
        and user.organisation_id == sender_id
    )


def can_offer(user: User, help_request: HelpRequest) -> bool:
    """The office, and any member for itself (not to itself), while the
    request is open."""
    if is_request_closed(help_request) or not can_use_members_area(user):
        return False
    if is_office_staff(user):
        return True
    return user.organisation_id != help_request.municipality_id


def can_edit_offer(user: User, offer: Offer) -> bool:
    """The office any offer; a member its own, until the request closes."""
    if is_office_staff(user):
        return True
    return (
        not offer.is_joint
        and _own_sender(user, offer.sender_id)
        and not is_request_closed(offer.request)
    )


def can_edit_dispatch(user: User, dispatch: Dispatch) -> bool:
    """The office any team; the sending member its own, until the request
    closes."""
    if is_office_staff(user):
        return True
    return (
        not dispatch.offer.is_joint
        and _own_sender(user, dispatch.sender_id)
        and not is_request_closed(dispatch.offer.request)
    )


def can_add_dispatch(user: User, offer: Offer) -> bool:
    """Teams are added to an offer by whoever may edit it."""
    return can_edit_offer(user, offer)


def can_see_names(user: User, dispatch: Dispatch) -> bool:
    """Names of people sent are for the sending organisation and the office."""
    return is_office_staff(user) or _own_sender(user, dispatch.sender_id)


def can_publish_snapshot(user: User) -> bool:
    """Publishing speaks for the 23 wards, so only the office does it."""
    return is_office_staff(user)


def can_record_aid(user: User) -> bool:
    """The office records any money or goods; a ward records its own."""
    return is_office_staff(user) or is_special_ward_staff(user)


def can_see_history(user: User) -> bool:
    """The office sees every change; any other member organisation, now that
    any may send teams, those to its own rows (visible_changes)."""
    return can_use_members_area(user)


def visible_changes(user: User, disaster: Disaster) -> QuerySet[ChangeLog]:
    """ChangeLog rows about a disaster's rows that the user may see.

    Each change carries the disaster and owner its row had when it was made,
    so changes of rows deleted since stay on the history. Changes recorded
    before those were kept are matched to the live rows by type and id.
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

    # Senders own offers, dispatches, seats and their own aid; the rest
    # (the disaster, requests, publications) is the office's.
    condition = (
        changes_of(Offer, "sender", request__disaster=disaster)
        | changes_of(Dispatch, "sender", offer__request__disaster=disaster)
        | changes_of(
            Seat, "dispatch__sender", dispatch__offer__request__disaster=disaster
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
            | changes_of(DamageFigures, None, disaster=disaster)
            | changes_of(DamageWeights, None, disaster=disaster)
            | changes_of(Allocation, None, disaster=disaster)
            | changes_of(AllocationLine, None, allocation__disaster=disaster)
        )
    recorded = Q(disaster_ref=disaster.pk)
    if not office:
        recorded &= Q(owner_ref=user.organisation_id)
    return ChangeLog.objects.filter(
        recorded | Q(disaster_ref__isnull=True) & condition
    ).select_related("changed_by", "content_type")


def can_manage_damage(user: User) -> bool:
    """The office records damage figures and weights and freezes payments
    of 復興支援金; every member reads the frozen results (can_view_reports)."""
    return is_office_staff(user)


def can_view_organisation_aid(user: User) -> bool:
    """Every member reads what any organisation sent and received, as it
    reads every request and report."""
    return can_view_reports(user)


def can_view_agreements(user: User) -> bool:
    """Every member reads the register of agreements and their documents."""
    return can_use_members_area(user)


def can_manage_agreements(user: User) -> bool:
    """The office keeps the register of agreements."""
    return is_office_staff(user)


def can_see_reception_plans(user: User) -> bool:
    """The wards' 受援計画 are for the office and the wards themselves."""
    return is_office_staff(user) or is_special_ward_staff(user)


def can_edit_reception_plan(user: User, ward: Organisation) -> bool:
    """A ward keeps its own 受援計画; the office corrects any."""
    if is_office_staff(user):
        return True
    return is_special_ward_staff(user) and user.organisation_id == ward.pk
