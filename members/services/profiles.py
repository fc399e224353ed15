"""Self-service: a person's own details, and an organisation's introduction
with the office's approval when it is switched on."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import permissions, tasks
from ..models import (
    AccessChange,
    ContactChange,
    DirectorySettings,
    Organisation,
    ProfileChange,
    User,
)
from .mail import office_addresses
from .organisations import values_set


@transaction.atomic
def user_update_profile(*, user: User, actor: User, changes: dict[str, str]) -> User:
    """Change a person's name, department or phone, recording each change."""
    unknown = set(changes) - set(User.PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"Not profile fields: {sorted(unknown)}")
    locked = User.objects.select_for_update().get(pk=user.pk)
    records = [
        AccessChange(
            user=locked,
            field=field,
            old_value=old_value,
            new_value=new_value,
            changed_by=actor,
        )
        for field, old_value, new_value in values_set(locked, changes)
    ]
    if not records:
        return locked
    changed = [record.field for record in records]
    locked.clean_fields(
        exclude={f.name for f in User._meta.fields if f.name not in changed}
    )
    locked.save(update_fields=changed)
    AccessChange.objects.bulk_create(records)
    return locked


def profile_change_pending(*, organisation: Organisation) -> ProfileChange | None:
    """The introduction waiting for the office's decision, if any."""
    return ProfileChange.objects.pending().filter(organisation=organisation).first()


@transaction.atomic
def organisation_update_profile(
    *, organisation: Organisation, actor: User, text: str
) -> ProfileChange | None:
    """Change an organisation's introduction, or submit it for approval.

    While the office approves introductions (DirectorySettings), a change
    by the organisation's staff waits as a ProfileChange, replacing one
    that is still waiting; the office is told. Otherwise the text is
    saved at once and recorded in the contact history. Returns the
    waiting change, or None when the text was saved.
    """
    locked = Organisation.objects.select_for_update().get(pk=organisation.pk)
    pending = profile_change_pending(organisation=locked)
    if permissions.profile_needs_approval(actor, DirectorySettings.load()):
        if text == locked.profile and pending is None:
            return None
        if pending is None:
            pending = ProfileChange(organisation=locked)
        pending.text = text
        pending.submitted_by = actor
        pending.submitted_at = timezone.now()
        pending.full_clean()
        pending.save()
        tasks.mail_send_on_commit(
            to=office_addresses(),
            template="members/email/profile_submitted",
            context={"change": pending, "organisation": locked},
        )
        return pending
    if pending is not None:
        # The office's own edit settles what was waiting.
        _decide(
            change=pending,
            actor=actor,
            status=ProfileChange.Status.REJECTED,
            reason=_("The office changed the introduction itself."),
        )
    _profile_set(organisation=locked, text=text, actor=actor)
    return None


def _profile_set(*, organisation: Organisation, text: str, actor: User | None):
    old = organisation.profile
    if old == text:
        return
    organisation.profile = text
    organisation.full_clean()
    organisation.save(update_fields=["profile"])
    ContactChange.objects.create(
        organisation=organisation,
        field="profile",
        old_value=old,
        new_value=text,
        changed_by=actor,
    )


def _decide(*, change: ProfileChange, actor: User, status: str, reason: str = ""):
    change.status = status
    change.decided_by = actor
    change.decided_at = timezone.now()
    change.reason = reason
    change.save(update_fields=["status", "decided_by", "decided_at", "reason"])


def _locked_pending(change: ProfileChange) -> ProfileChange:
    locked = (
        ProfileChange.objects.select_for_update(of=("self",))
        .select_related("organisation__prefecture", "submitted_by")
        .get(pk=change.pk)
    )
    if locked.status != ProfileChange.Status.PENDING:
        raise ValidationError(
            _("This introduction has already been decided."), code="decided"
        )
    return locked


def _tell_submitter(change: ProfileChange) -> None:
    submitter = change.submitted_by
    if submitter is None or not submitter.is_active:
        return
    tasks.mail_send_on_commit(
        to=[submitter.email],
        template="members/email/profile_decided",
        context={"change": change, "organisation": change.organisation},
    )


@transaction.atomic
def profile_change_approve(*, change: ProfileChange, actor: User) -> ProfileChange:
    """The office approves an introduction: it shows in the directory now."""
    change = _locked_pending(change)
    organisation = Organisation.objects.select_for_update().get(
        pk=change.organisation_id
    )
    _profile_set(organisation=organisation, text=change.text, actor=change.submitted_by)
    _decide(change=change, actor=actor, status=ProfileChange.Status.APPROVED)
    _tell_submitter(change)
    return change


@transaction.atomic
def profile_change_reject(
    *, change: ProfileChange, actor: User, reason: str
) -> ProfileChange:
    """The office rejects an introduction, saying why; the old one stays."""
    if not reason.strip():
        raise ValidationError(_("Give the reason for rejection."), code="no_reason")
    change = _locked_pending(change)
    _decide(
        change=change,
        actor=actor,
        status=ProfileChange.Status.REJECTED,
        reason=reason.strip(),
    )
    _tell_submitter(change)
    return change
