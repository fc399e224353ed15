"""Structured thread types, the wards a thread is addressed to, and interest."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .threads import Thread


def _in_order(first: str, last: str, *, name: str) -> models.CheckConstraint:
    """A check that a period's last day is not before its first."""
    return models.CheckConstraint(
        condition=models.Q(**{f"{last}__gte": models.F(first)}), name=name
    )


class ThreadDetails:
    """The part of a structured thread kept beside it: named after the thread."""

    def __str__(self):
        return str(self.thread)


class Proposal(ThreadDetails, models.Model):
    """A proposal of a collaboration or exchange project to the wards."""

    class Field(models.TextChoices):
        INDUSTRY = "industry", _("Industry")
        TOURISM = "tourism", _("Tourism")
        CULTURE = "culture", _("Culture")
        SPORTS = "sports", _("Sports")
        DISASTER = "disaster", _("Disaster prevention")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("proposal status", "Open")
        COORDINATING = "coordinating", _("Coordinating")
        REALISED = "realised", _("Realised")
        CLOSED = "closed", pgettext_lazy("proposal status", "Closed")

    thread = models.OneToOneField(
        Thread, on_delete=models.CASCADE, primary_key=True, related_name="proposal"
    )
    field = models.CharField(
        _("field of collaboration"), max_length=20, choices=Field.choices
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.OPEN
    )
    realised_on = models.DateField(_("realised on"), null=True, blank=True)

    class Meta:
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")


class ProposalStatusChange(models.Model):
    """One step of a proposal's status, with who moved it."""

    proposal = models.ForeignKey(
        Proposal, on_delete=models.CASCADE, related_name="status_changes"
    )
    old_status = models.CharField(
        _("before"), max_length=20, choices=Proposal.Status.choices
    )
    new_status = models.CharField(
        _("after"), max_length=20, choices=Proposal.Status.choices
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["changed_at", "pk"]

    def __str__(self):
        return f"{self.proposal}: {self.old_status} → {self.new_status}"


class EventDetails(ThreadDetails, models.Model):
    """When and where an event is, and how to take part."""

    thread = models.OneToOneField(
        Thread, on_delete=models.CASCADE, primary_key=True, related_name="event"
    )
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    place = models.CharField(_("place"), max_length=200)
    application_deadline = models.DateField(
        _("application deadline"), null=True, blank=True
    )
    contact = models.CharField(_("contact"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        constraints = [
            _in_order("starts_on", "ends_on", name="boards_event_dates_in_order")
        ]


class PamphletRequest(ThreadDetails, models.Model):
    """A request to hand out a pamphlet in the wards."""

    class Placement(models.TextChoices):
        FACILITIES = "facilities", _("Ward facilities")
        COUNTERS = "counters", _("Service counters")
        EVENTS = "events", _("Events")

    thread = models.OneToOneField(
        Thread, on_delete=models.CASCADE, primary_key=True, related_name="pamphlet"
    )
    copies = models.PositiveIntegerField(_("number of copies"))
    wished_from = models.DateField(_("wished from"))
    wished_until = models.DateField(_("wished until"))
    placements = ArrayField(
        models.CharField(max_length=20, choices=Placement.choices),
        verbose_name=_("where"),
    )

    class Meta:
        verbose_name = _("pamphlet request")
        verbose_name_plural = _("pamphlet requests")
        constraints = [
            _in_order(
                "wished_from", "wished_until", name="boards_pamphlet_period_in_order"
            )
        ]

    def get_placements_display(self):
        labels = dict(self.Placement.choices)
        return [labels[value] for value in self.placements if value in labels]


class Publicity(ThreadDetails, models.Model):
    """A newsletter or PR video being promoted."""

    thread = models.OneToOneField(
        Thread, on_delete=models.CASCADE, primary_key=True, related_name="publicity"
    )
    url = models.URLField(_("link to the newsletter or video"))
    period_from = models.DateField(_("from"), null=True, blank=True)
    period_until = models.DateField(_("until"), null=True, blank=True)

    class Meta:
        verbose_name = _("newsletter or video PR")
        verbose_name_plural = _("newsletter or video PR")


class AddresseeQuerySet(models.QuerySet):
    def unanswered(self):
        return self.filter(state__in=[Addressee.State.UNREAD, Addressee.State.READ])


class Addressee(models.Model):
    """A ward a thread is addressed to, and how that ward has answered."""

    class State(models.TextChoices):
        UNREAD = "unread", _("Unread")
        READ = "read", _("Read")
        CONSIDERING = "considering", _("Considering")
        INTERESTED = "interested", _("Interested")
        DECLINED = "declined", _("Declined")
        # Answers to pamphlet requests.
        ACCEPT = "accept", _("Can accept")
        REFUSE = "refuse", _("Cannot accept")
        DISCUSS = "discuss", _("Needs discussion")

    thread = models.ForeignKey(
        Thread, on_delete=models.CASCADE, related_name="addressees"
    )
    organisation = models.ForeignKey(
        "members.Organisation",
        verbose_name=_("ward"),
        on_delete=models.PROTECT,
        related_name="addressed_threads",
    )
    state = models.CharField(
        _("answer"), max_length=20, choices=State.choices, default=State.UNREAD
    )
    comment = models.TextField(_("comment"), max_length=2000, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answered by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = AddresseeQuerySet.as_manager()

    class Meta:
        verbose_name = _("addressed ward")
        verbose_name_plural = _("addressed wards")
        constraints = [
            models.UniqueConstraint(
                fields=["thread", "organisation"], name="boards_addressee_unique"
            ),
        ]
        indexes = [models.Index(fields=["organisation", "state"])]

    def __str__(self):
        return f"{self.thread} → {self.organisation}"


class Interest(models.Model):
    """An organisation's 関心あり on a thread."""

    thread = models.ForeignKey(
        Thread, on_delete=models.CASCADE, related_name="interests"
    )
    organisation = models.ForeignKey(
        "members.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("interest")
        verbose_name_plural = _("interests")
        constraints = [
            models.UniqueConstraint(
                fields=["thread", "organisation"], name="boards_interest_unique"
            ),
        ]

    def __str__(self):
        return f"{self.organisation} → {self.thread}"


class RealisedCollaboration(models.Model):
    """A collaboration that did not start on the board, entered by the office.

    Listed with the realised proposals in the yearly list (boards.exports),
    so that the export is the office's whole 連携事業一覧.
    """

    title = models.CharField(_("project"), max_length=200)
    wards = models.ManyToManyField(
        "members.Organisation",
        verbose_name=_("wards"),
        related_name="+",
        limit_choices_to={"kind": "special_ward"},
        blank=True,
    )
    partners = models.ManyToManyField(
        "members.Organisation",
        verbose_name=_("partners"),
        related_name="+",
        blank=True,
    )
    field = models.CharField(
        _("field of collaboration"), max_length=20, choices=Proposal.Field.choices
    )
    realised_on = models.DateField(_("realised on"))
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(
        _("entered at"), default=timezone.now, editable=False
    )

    class Meta:
        verbose_name = _("collaboration entered by the office")
        verbose_name_plural = _("collaborations entered by the office")
        ordering = ["-realised_on", "-pk"]
        indexes = [models.Index(fields=["realised_on"])]

    def __str__(self):
        return self.title
