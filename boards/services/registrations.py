"""Event sign-up: the organiser opens it, organisations sign people up,
the waiting list moves up as people cancel, and a reminder goes out the
day before.

Every write locks the event's row first (select_for_update), so two
organisations taking the last seat at once are served one after the other
and the second one waits.
"""

import datetime
from collections import defaultdict

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.tasks import task
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from members.common.eras import format_wareki
from members.models import Organisation, User
from members.services.mail import site_link
from members.tasks import mail_send, mail_send_on_commit

from .. import permissions
from ..models import (
    Attendance,
    Attendee,
    EventDetails,
    RegistrationSettings,
)


def _locked_event(event: EventDetails) -> EventDetails:
    return (
        EventDetails.objects.select_for_update(of=("self",))
        .select_related("thread", "registration")
        .get(pk=event.pk)
    )


def registration_closed(event: EventDetails, *, today: datetime.date | None = None):
    """Why the event takes no more sign-ups (a sentence), or None if it does.

    Sign-up ends after the application deadline's day, or, without one,
    when the event begins.
    """
    today = today or timezone.localdate()
    settings = getattr(event, "registration", None)
    if settings is None or not settings.is_open:
        return _("This event is not taking registrations.")
    if event.application_deadline is not None:
        if today > event.application_deadline:
            return _(
                "The application deadline (%(day)s) has passed: no more "
                "registrations are taken."
            ) % {"day": format_wareki(event.application_deadline)}
    elif today >= event.starts_on:
        return _("The event has begun: no more registrations are taken.")
    return None


@transaction.atomic
def registration_configure(
    *,
    event: EventDetails,
    actor: User,
    is_open: bool,
    capacity: int,
    modes: str,
    application_deadline: datetime.date | None,
) -> RegistrationSettings:
    """The organiser opens or closes sign-up, and sets seats, modes and deadline.

    More seats move the waiting list up; fewer never drop anyone confirmed.
    """
    event = _locked_event(event)
    if not permissions.can_manage_registration(actor, event.thread):
        raise PermissionDenied
    settings = getattr(event, "registration", None) or RegistrationSettings(event=event)
    deadline_moved = event.application_deadline != application_deadline
    settings.is_open = is_open
    settings.capacity = capacity
    settings.modes = modes
    settings.changed_at = timezone.now()
    if deadline_moved:
        event.application_deadline = application_deadline
        event.full_clean()
        event.save(update_fields=["application_deadline"])
        # Calendars show the deadline: subscribers must take the change.
        settings.revision += 1
    settings.full_clean()
    settings.save()
    event.registration = settings
    _move_up(event)
    return settings


@transaction.atomic
def attendee_register(
    *,
    event: EventDetails,
    actor: User,
    name: str,
    department: str = "",
    attendance: str,
) -> Attendee:
    """Sign one person of the actor's organisation up: a seat while there
    is one, else a place on the waiting list."""
    event = _locked_event(event)
    if not permissions.can_register_for(actor, event.thread):
        raise PermissionDenied
    closed = registration_closed(event)
    if closed is not None:
        raise ValidationError(closed, code="closed")
    settings = event.registration
    if attendance not in settings.allowed_attendance():
        raise ValidationError(
            _("This event takes attendees %(modes)s only.")
            % {"modes": settings.get_modes_display()},
            code="attendance",
        )
    seats_taken = event.attendees.confirmed().count()
    now = timezone.now()
    confirmed = seats_taken < settings.capacity
    attendee = Attendee(
        event=event,
        organisation=actor.organisation,
        name=name,
        department=department,
        attendance=attendance,
        status=Attendee.Status.CONFIRMED if confirmed else Attendee.Status.WAITING,
        registered_at=now,
        registered_by=actor,
        confirmed_at=now if confirmed else None,
    )
    attendee.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            attendee.save()
    except IntegrityError:
        raise ValidationError(
            _("%(name)s is already signed up for this event.") % {"name": name},
            code="duplicate",
        ) from None
    return attendee


@transaction.atomic
def attendee_cancel(*, attendee: Attendee, actor: User) -> Attendee:
    """Cancel one attendee; a freed seat goes to the first on the waiting list."""
    event = _locked_event(attendee.event)
    attendee = Attendee.objects.select_for_update().get(pk=attendee.pk)
    attendee.event = event
    if not permissions.can_cancel_attendee(actor, attendee):
        raise PermissionDenied
    if attendee.status == Attendee.Status.CANCELLED:
        raise ValidationError(
            _("%(name)s has already been cancelled.") % {"name": attendee.name},
            code="already_cancelled",
        )
    attendee.status = Attendee.Status.CANCELLED
    attendee.cancelled_at = timezone.now()
    attendee.cancelled_by = actor
    attendee.save(update_fields=["status", "cancelled_at", "cancelled_by"])
    _move_up(event)
    return attendee


def _move_up(event: EventDetails) -> list[Attendee]:
    """Give free seats to the waiting list in order, and tell each promoted
    organisation's staff by mail. The event's row must be locked."""
    settings = getattr(event, "registration", None)
    if settings is None:
        return []
    free = settings.capacity - event.attendees.confirmed().count()
    if free <= 0:
        return []
    promoted = list(event.attendees.waiting().in_order()[:free])
    if not promoted:
        return []
    now = timezone.now()
    Attendee.objects.filter(pk__in=[a.pk for a in promoted]).update(
        status=Attendee.Status.CONFIRMED, confirmed_at=now
    )
    by_organisation = defaultdict(list)
    for attendee in promoted:
        attendee.status = Attendee.Status.CONFIRMED
        attendee.confirmed_at = now
        by_organisation[attendee.organisation_id].append(attendee)
    for organisation_id, attendees in by_organisation.items():
        to = _staff_addresses(event, organisation_id)
        if to:
            mail_send_on_commit(
                to=to,
                template="boards/email/registration_confirmed",
                context=_mail_context(event, attendees),
            )
    return promoted


def _staff_addresses(event: EventDetails, organisation_id) -> list[str]:
    """The organisation's staff who may still read the event's thread."""
    return sorted(
        permissions.thread_readers(event.thread)
        .filter(organisation_id=organisation_id, mail_bouncing_since=None)
        .values_list("email", flat=True)
    )


def _mail_context(event: EventDetails, attendees: list[Attendee]) -> dict:
    """Plain values only: the mail is rendered after the commit."""
    organisation = Organisation.objects.with_prefecture().get(
        pk=attendees[0].organisation_id
    )
    return {
        "organisation": organisation.full_name,
        "title": event.thread.title,
        "starts_on": format_wareki(event.starts_on),
        "ends_on": format_wareki(event.ends_on)
        if event.ends_on != event.starts_on
        else "",
        "place": event.place,
        "attendees": [
            {"name": a.name, "online": a.attendance == Attendance.ONLINE}
            for a in attendees
        ],
        "url": site_link(reverse("boards:thread", args=[event.thread_id])),
    }


def registration_reminders_deliver(*, today: datetime.date | None = None) -> int:
    """Remind the staff of every organisation with confirmed attendees of the
    events that begin tomorrow; once per event. Returns the events reminded.

    The mails and the event's mark are written in one transaction, so a
    repeated run (its worker died) reminds nobody twice.
    """
    tomorrow = (today or timezone.localdate()) + datetime.timedelta(days=1)
    due = RegistrationSettings.objects.filter(
        event__starts_on=tomorrow,
        reminder_sent_at=None,
        event__thread__is_hidden=False,
    ).values_list("pk", flat=True)
    reminded = 0
    for pk in due:
        with transaction.atomic():
            settings = (
                RegistrationSettings.objects.select_for_update(skip_locked=True)
                .select_related("event__thread")
                .filter(pk=pk, reminder_sent_at=None)
                .first()
            )
            if settings is None:
                continue
            event = settings.event
            by_organisation = defaultdict(list)
            for attendee in event.attendees.confirmed().in_order():
                by_organisation[attendee.organisation_id].append(attendee)
            for organisation_id, attendees in by_organisation.items():
                to = _staff_addresses(event, organisation_id)
                if to:
                    mail_send(
                        to=to,
                        template="boards/email/registration_reminder",
                        context=_mail_context(event, attendees),
                    )
            RegistrationSettings.objects.filter(pk=pk).update(
                reminder_sent_at=timezone.now()
            )
            reminded += 1
    return reminded


@task
def send_registration_reminders() -> int:
    """The day-before reminders of events (manage.py send_event_reminders)."""
    return registration_reminders_deliver()
