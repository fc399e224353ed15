"""Who may do what with 照会. Views, templates and services ask here.

What a person may not see is a 404 (access_inquiry, access_answer), so
numbers in URLs cannot be probed; what they may see but not change is a 403.
"""

from django.http import Http404
from django.shortcuts import get_object_or_404

from members.permissions import (
    can_use_members_area,
    is_office_staff,
    is_special_ward,
)

from ..models import Inquiry, Recipient


def can_send_inquiry(user) -> bool:
    """Staff of any member organisation, and the office, send 照会."""
    return can_use_members_area(user)


def audiences_for(user) -> list[str]:
    """Whom a person may address a 照会 to.

    The office and the 23 special wards coordinate the project, so they may
    address everyone, whole prefectures, the wards or kinds of municipality.
    A member asks the organisations it picks by hand: a member mailing every
    other member would be the board's job, not a 照会's.
    """
    if not can_send_inquiry(user):
        return []
    if is_office_staff(user) or is_special_ward(user.organisation):
        return list(Inquiry.Audience.values)
    return [Inquiry.Audience.CHOSEN]


def can_manage_inquiry(user, inquiry) -> bool:
    """The sending organisation's staff and the office run an inquiry:
    edit its draft, send, remind, extend, close, and read every answer."""
    return can_use_members_area(user) and (
        user.organisation_id == inquiry.sender_organisation_id or is_office_staff(user)
    )


def can_edit_inquiry(user, inquiry) -> bool:
    """Questions and addressees change only while the inquiry is a draft."""
    return inquiry.status == Inquiry.Status.DRAFT and can_manage_inquiry(user, inquiry)


def is_recipient(user, inquiry) -> bool:
    """The person's organisation must answer this (sent) inquiry."""
    return (
        can_use_members_area(user)
        and inquiry.status != Inquiry.Status.DRAFT
        and Recipient.objects.filter(
            inquiry=inquiry, organisation_id=user.organisation_id
        ).exists()
    )


def can_view_inquiry(user, inquiry) -> bool:
    """Those who run it, and the organisations that must answer it."""
    return can_manage_inquiry(user, inquiry) or is_recipient(user, inquiry)


def can_answer(user, inquiry) -> bool:
    """Any active staff of an addressed organisation, while answers are taken."""
    return is_recipient(user, inquiry) and inquiry.accepts_answers()


def can_see_answers(user, inquiry) -> bool:
    """Every organisation's answer: the sender's staff and the office only."""
    return can_manage_inquiry(user, inquiry)


def can_read_answer(user, answer) -> bool:
    """An answer (and its files) is for its own organisation, the sender
    and the office; nobody else."""
    return can_see_answers(user, answer.inquiry) or (
        can_use_members_area(user) and answer.organisation_id == user.organisation_id
    )


def can_see_shared_results(user, inquiry) -> bool:
    """Totals (no names) for the organisations asked, if the sender shares them."""
    return (inquiry.share_results and is_recipient(user, inquiry)) or can_see_answers(
        user, inquiry
    )


def visible_inquiries(user, queryset):
    """Inquiries a person may open: their organisation sent or must answer them."""
    if not can_use_members_area(user):
        return queryset.none()
    if is_office_staff(user):
        return queryset
    received = Recipient.objects.filter(organisation_id=user.organisation_id)
    return queryset.filter(
        sender_organisation_id=user.organisation_id
    ) | queryset.sent().filter(pk__in=received.values("inquiry_id"))


def access_inquiry(user, pk) -> Inquiry:
    """The inquiry, or 404 also when the person may not see it."""
    inquiry = get_object_or_404(Inquiry.objects.with_sender(), pk=pk)
    if not can_view_inquiry(user, inquiry):
        raise Http404
    return inquiry


def access_managed_inquiry(user, pk) -> Inquiry:
    """The inquiry for its sender or the office; 404 for everyone else."""
    inquiry = access_inquiry(user, pk)
    if not can_manage_inquiry(user, inquiry):
        raise Http404
    return inquiry


def access_recipient(user, inquiry) -> Recipient:
    """The person's own organisation's place among those asked, or 404."""
    return get_object_or_404(
        Recipient.objects.select_related("organisation__prefecture"),
        inquiry=inquiry,
        organisation_id=user.organisation_id,
    )
