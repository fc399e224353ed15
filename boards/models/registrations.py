"""Sign-up for events: the organiser's settings, and each organisation's
attendees, confirmed or on the waiting list; and each person's calendar
feed key."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .collaboration import EventDetails


class Attendance(models.TextChoices):
    """How one attendee takes part."""

    ON_SITE = "on_site", pgettext_lazy("attendance", "On site")
    ONLINE = "online", pgettext_lazy("attendance", "Online")


class RegistrationSettings(models.Model):
    """The organiser's sign-up for one event: open or not, seats, modes.

    The deadline is the event's own application_deadline.
    """

    class Modes(models.TextChoices):
        ON_SITE = "on_site", _("On site only")
        ONLINE = "online", _("Online only")
        BOTH = "both", _("On site or online")

    event = models.OneToOneField(
        EventDetails,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="registration",
        verbose_name=_("event"),
    )
    is_open = models.BooleanField(_("taking registrations"), default=True)
    capacity = models.PositiveIntegerField(
        _("capacity"), help_text=_("The number of attendees who can take part.")
    )
    modes = models.CharField(
        _("attendance"), max_length=10, choices=Modes.choices, default=Modes.BOTH
    )
    # Raised whenever the organiser changes what calendars show (the
    # deadline): calendar feeds carry it as SEQUENCE.
    revision = models.PositiveIntegerField(default=0, editable=False)
    reminder_sent_at = models.DateTimeField(
        _("reminder sent at"), null=True, blank=True, editable=False
    )
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)

    class Meta:
        verbose_name = _("registration settings")
        verbose_name_plural = _("registration settings")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(capacity__gte=1),
                name="boards_registration_capacity_positive",
            ),
        ]

    def __str__(self):
        return str(self.event)

    def allowed_attendance(self):
        """The attendance choices this event offers."""
        if self.modes == self.Modes.BOTH:
            return list(Attendance)
        return [Attendance(self.modes)]


class AttendeeQuerySet(models.QuerySet):
    def active(self):
        """Confirmed or waiting: not cancelled."""
        return self.exclude(status=Attendee.Status.CANCELLED)

    def confirmed(self):
        return self.filter(status=Attendee.Status.CONFIRMED)

    def waiting(self):
        return self.filter(status=Attendee.Status.WAITING)

    def in_order(self):
        """First come, first served: the order of the waiting list."""
        return self.order_by("registered_at", "pk")

    def for_listing(self):
        return self.select_related("organisation__prefecture", "registered_by")


class Attendee(models.Model):
    """One person an organisation signed up for an event."""

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", pgettext_lazy("attendee status", "Confirmed")
        WAITING = "waiting", _("On the waiting list")
        CANCELLED = "cancelled", pgettext_lazy("attendee status", "Cancelled")

    event = models.ForeignKey(
        EventDetails,
        on_delete=models.CASCADE,
        related_name="attendees",
        verbose_name=_("event"),
    )
    organisation = models.ForeignKey(
        "members.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("organisation"),
    )
    name = models.CharField(_("name"), max_length=100)
    department = models.CharField(
        pgettext_lazy("attendee", "department"), max_length=100, blank=True
    )
    attendance = models.CharField(
        _("attendance"), max_length=10, choices=Attendance.choices
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    registered_at = models.DateTimeField(_("registered at"), default=timezone.now)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("registered by"),
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cancelled by"),
    )

    objects = AttendeeQuerySet.as_manager()

    class Meta:
        verbose_name = _("attendee")
        verbose_name_plural = _("attendees")
        constraints = [
            # The same person twice for one organisation is a slip; after a
            # cancellation, signing them up again is allowed.
            models.UniqueConstraint(
                fields=["event", "organisation", "name"],
                condition=~models.Q(status="cancelled"),
                name="boards_attendee_once_per_organisation",
            ),
        ]
        indexes = [
            models.Index(
                fields=["event", "status", "registered_at"],
                name="boards_attendee_queue",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.organisation})"


class CalendarFeedKey(models.Model):
    """The part of a person's calendar feed address that a reissue changes.

    Without a row the person's key is the empty string; a reissue stores a
    new random key, which turns every earlier address into a 404.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="calendar_feed_key",
        verbose_name=_("user"),
    )
    key = models.CharField(max_length=64)
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)

    class Meta:
        verbose_name = _("calendar feed key")
        verbose_name_plural = _("calendar feed keys")

    def __str__(self):
        return str(self.user)
