"""Organisations: membership status, contact details and their yearly
confirmation."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import permissions, tasks
from ..common.eras import fiscal_year, fiscal_year_start, format_fiscal_year
from ..common.versioning import version_check
from ..models import (
    ContactChange,
    MembershipChange,
    MembershipStatus,
    Organisation,
    User,
)
from .mail import office_addresses


@transaction.atomic
def organisation_set_status(
    *,
    organisation: Organisation,
    status: str,
    actor: User | None,
    reason: str = "",
) -> Organisation:
    """Move an organisation's membership on, recording who did it and why."""
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    old_status = organisation.membership_status
    if old_status == status:
        return organisation
    organisation.membership_status = status
    if status == MembershipStatus.MEMBER and organisation.joined_on is None:
        organisation.joined_on = timezone.localdate()
    organisation.save(update_fields=["membership_status", "joined_on"])
    MembershipChange.objects.create(
        organisation=organisation,
        old_status=old_status,
        new_status=status,
        reason=reason,
        changed_by=actor,
    )
    return organisation


def values_set(instance, changes: dict) -> list[tuple[str, object, object]]:
    """Set `changes` on `instance`; (field, before, after) of each that changed,
    for the change records."""
    changed = []
    for field, new_value in changes.items():
        old_value = getattr(instance, field)
        if old_value != new_value:
            setattr(instance, field, new_value)
            changed.append((field, old_value, new_value))
    return changed


@transaction.atomic
def organisation_update_contact(
    *,
    organisation: Organisation,
    actor: User | None,
    changes: dict[str, str],
    version: int | None = None,
    notify: bool = True,
) -> Organisation:
    """Change contact details, recording each changed field.

    With `version`, refuses when someone saved in between. Changes made by
    the organisation's own staff are mailed to the office.
    """
    locked = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if version is not None:
        version_check(
            locked,
            version,
            field="contact_version",
            message=_(
                "Someone else changed these details while you were editing. "
                "Check the current details and enter your changes again."
            ),
        )
    unknown = set(changes) - set(Organisation.CONTACT_FIELDS)
    if unknown:
        raise ValueError(f"Not contact fields: {sorted(unknown)}")
    records = [
        ContactChange(
            organisation=locked,
            field=field,
            old_value=old_value,
            new_value=new_value,
            changed_by=actor,
        )
        for field, old_value, new_value in values_set(locked, changes)
    ]
    if not records:
        return locked
    locked.full_clean()
    locked.contact_version = F("contact_version") + 1
    locked.save(update_fields=[*changes, "contact_version"])
    locked.refresh_from_db(fields=["contact_version"])
    ContactChange.objects.bulk_create(records)
    if notify and permissions.office_hears_of_changes_by(actor):
        context = {"organisation": locked, "changes": records, "changed_by": actor}
        transaction.on_commit(
            lambda: tasks.mail_send(
                to=office_addresses(),
                template="members/email/contact_changed",
                context=context,
            )
        )
    return locked


@transaction.atomic
def organisation_confirm_contact(
    *, organisation: Organisation, actor: User
) -> Organisation:
    """Record that the details are current for this fiscal year."""
    organisation.contact_confirmed_at = timezone.now()
    organisation.save(update_fields=["contact_confirmed_at"])
    ContactChange.objects.create(
        organisation=organisation,
        field="contact_confirmed_at",
        old_value="",
        new_value=_("Confirmed for %(year)s")
        % {"year": format_fiscal_year(fiscal_year(timezone.now()))},
        changed_by=actor,
    )
    return organisation


def confirmation_pending(
    *, organisation: Organisation, now: datetime | None = None
) -> bool:
    """True while a member has not confirmed its details this fiscal year."""
    if not organisation.is_member:
        return False
    start = fiscal_year_start(fiscal_year(now or timezone.now()))
    confirmed = organisation.contact_confirmed_at
    return confirmed is None or confirmed < start


def confirmation_reminders_send(
    *, organisations: QuerySet[Organisation] | None = None
) -> int:
    """Queue reminder mails to members that have not confirmed this year.

    Limited to `organisations` when given (the office's selection in admin).
    """
    start = fiscal_year_start(fiscal_year(timezone.now()))
    unconfirmed = Organisation.objects.unconfirmed_in(start)
    if organisations is not None:
        unconfirmed = unconfirmed.filter(pk__in=organisations.values("pk"))
    ids = list(unconfirmed.values_list("pk", flat=True))
    if ids:
        tasks.send_confirmation_reminders.enqueue(
            organisation_ids=ids, requested_at=timezone.now().isoformat()
        )
    return len(ids)


def confirmation_reminders_schedule() -> int:
    """Send the April rounds of confirmation reminders; run daily.

    The first round starts on 1 April, the second RENKEI_CONFIRMATION_REMIND_DAYS
    later; each member not yet confirmed is reminded once per round (a
    second time only when its last reminder is that many days old). After
    the second round has run as long, nothing is sent until next April.
    """
    now = timezone.now()
    days = timedelta(days=settings.RENKEI_CONFIRMATION_REMIND_DAYS)
    start = fiscal_year_start(fiscal_year(now))
    second = start + days
    if now >= second + days:
        return 0
    not_reminded = Q(confirmation_reminded_at__isnull=True)
    if now < second:
        due = not_reminded | Q(confirmation_reminded_at__lt=start)
    else:
        due = not_reminded | Q(
            confirmation_reminded_at__lt=second,
            confirmation_reminded_at__lte=now - days,
        )
    return confirmation_reminders_send(
        organisations=Organisation.objects.unconfirmed_in(start).filter(due)
    )
