"""The board as a collaboration tool: structured threads, wards' answers,
interest, proposal status, and the office's yearly list of realisations."""

from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from members.models import Organisation, User
from members.permissions import is_special_ward

from .. import permissions
from ..attachments import PreparedUpload
from ..models import (
    Addressee,
    Category,
    EventDetails,
    Interest,
    PamphletRequest,
    Proposal,
    ProposalStatusChange,
    Publicity,
    Thread,
    ThreadType,
)
from ..models.collaboration import ThreadDetails
from ..selectors import answer_choices, status_choices
from . import notifications
from .posts import thread_create

DETAIL_MODELS = {
    ThreadType.PROPOSAL: Proposal,
    ThreadType.EVENT: EventDetails,
    ThreadType.PAMPHLET: PamphletRequest,
    ThreadType.PUBLICITY: Publicity,
}


@transaction.atomic
def thread_start(
    *,
    category: Category,
    author: User,
    title: str,
    body: str,
    uploads: Sequence[PreparedUpload] = (),
    details: dict[str, Any] | None = None,
    wards: Iterable[Organisation] = (),
    all_wards: bool = False,
    important: bool = False,
    mail_everyone: bool = False,
) -> Thread:
    """Start a thread with its type's details and the wards it is addressed to."""
    thread = thread_create(
        category=category, author=author, title=title, body=body, uploads=uploads
    )
    thread_type = category.thread_type
    if thread_type in DETAIL_MODELS:
        record = DETAIL_MODELS[thread_type](thread=thread, **(details or {}))
        record.full_clean()
        record.save()
    if all_wards or wards:
        addressees_set(thread=thread, wards=wards, all_wards=all_wards)
    if important and thread_type == ThreadType.ANNOUNCEMENT:
        Thread.objects.filter(pk=thread.pk).update(is_important=True)
        notifications.on_important_announcement(
            thread=thread, mail_everyone=mail_everyone
        )
    return thread


def addressees_set(
    *, thread: Thread, wards: Iterable[Organisation] = (), all_wards: bool = False
) -> None:
    """Address a thread to some wards (or all 23); each answers on its own."""
    if all_wards:
        wards = Organisation.objects.filter(
            kind=Organisation.Kind.SPECIAL_WARD
        ).members()
        Thread.objects.filter(pk=thread.pk).update(addressed_to_all_wards=True)
    wards = list(wards)
    Addressee.objects.bulk_create(
        [Addressee(thread=thread, organisation=ward) for ward in wards],
        ignore_conflicts=True,
    )
    notifications.on_addressed(thread=thread, organisations=wards)


def addressee_mark_read(*, thread: Thread, user: User) -> None:
    """A ward's staff opened the thread: 未読 becomes 既読 for that ward."""
    if not is_special_ward(user.organisation):
        return
    Addressee.objects.filter(
        thread=thread,
        organisation_id=user.organisation_id,
        state=Addressee.State.UNREAD,
    ).update(state=Addressee.State.READ, read_at=timezone.now())


@transaction.atomic
def addressee_answer(
    *, addressee: Addressee, actor: User, state: str, comment: str = ""
) -> Addressee:
    """A ward answers: 検討中 / 関心あり / 見送り, or 受入可 / 不可 / 要相談."""
    addressee = (
        Addressee.objects.select_for_update()
        .select_related("thread__category")
        .get(pk=addressee.pk)
    )
    if not permissions.can_answer_for(actor, addressee):
        raise PermissionDenied
    if state not in dict(answer_choices(addressee.thread)):
        raise ValidationError(_("Choose one of the answers."), code="answer")
    now = timezone.now()
    addressee.state = state
    addressee.comment = comment
    addressee.answered_at = now
    addressee.answered_by = actor
    addressee.read_at = addressee.read_at or now
    addressee.full_clean()
    addressee.save()
    notifications.on_answer(addressee=addressee)
    return addressee


@transaction.atomic
def interest_mark(*, thread: Thread, actor: User) -> Interest:
    """Mark 「関心あり」 for the actor's organisation, once."""
    if not permissions.can_mark_interest(actor, thread):
        raise PermissionDenied
    try:
        with transaction.atomic():
            interest = Interest.objects.create(
                thread=thread, organisation=actor.organisation, marked_by=actor
            )
    except IntegrityError:
        raise ValidationError(
            _("Your organisation has already marked interest in this thread."),
            code="already_interested",
        ) from None
    notifications.on_interest(interest=interest)
    return interest


def interest_unmark(*, thread: Thread, actor: User) -> None:
    """Withdraw the organisation's 「関心あり」."""
    Interest.objects.filter(thread=thread, organisation=actor.organisation).delete()


@transaction.atomic
def thread_details_update(
    *, thread: Thread, actor: User, details: dict[str, Any]
) -> ThreadDetails:
    """The author's organisation or the office brings a thread's details
    (an event's dates and place, a pamphlet's copies, ...) up to date."""
    if not permissions.can_edit_thread_details(actor, thread):
        raise PermissionDenied
    model = DETAIL_MODELS[thread.category.thread_type]
    record = model.objects.select_for_update().get(thread=thread)
    for name, value in details.items():
        setattr(record, name, value)
    record.full_clean()
    record.save()
    return record


@transaction.atomic
def proposal_set_status(*, proposal: Proposal, actor: User, status: str) -> Proposal:
    """Move a proposal on (募集中 → 調整中 → 実現 / 終了), keeping the history."""
    proposal = (
        Proposal.objects.select_for_update()
        .select_related("thread")
        .get(pk=proposal.pk)
    )
    if not permissions.can_change_proposal_status(actor, proposal.thread):
        raise PermissionDenied
    if status not in dict(status_choices(proposal)):
        raise ValidationError(
            _("A proposal cannot go from %(old)s to %(new)s.")
            % {
                "old": proposal.get_status_display(),
                "new": Proposal.Status(status).label,
            },
            code="status_step",
        )
    ProposalStatusChange.objects.create(
        proposal=proposal,
        old_status=proposal.status,
        new_status=status,
        changed_by=actor,
    )
    proposal.status = status
    if status == Proposal.Status.REALISED:
        proposal.realised_on = timezone.localdate()
    proposal.save(update_fields=["status", "realised_on"])
    return proposal
