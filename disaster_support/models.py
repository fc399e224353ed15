"""Disasters, requests for help, members' offers and dispatches, and aid.

People are stored as seats (one row per person sent in a team), so every
count in the reports is derived from rows, never typed in.
"""

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import ChangeRecord, Organisation


def _date_order_errors(start_on, end_on) -> dict[str, ValidationError]:
    """A period's end on or after its start (requests, dispatches)."""
    if start_on and end_on and end_on < start_on:
        return {
            "end_on": ValidationError(
                _("The end date must be on or after the start date."),
                code="end_before_start",
            )
        }
    return {}


class DisasterQuerySet(models.QuerySet):
    def real(self):
        """Disasters that count in real reports: every one but drills."""
        return self.filter(is_drill=False)


class Disaster(models.Model):
    class Kind(models.TextChoices):
        EARTHQUAKE = "earthquake", _("Earthquake")
        STORM_FLOOD = "storm_flood", _("Storm and flood")
        VOLCANO = "volcano", _("Volcanic eruption")
        SNOW = "snow", _("Heavy snow")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Responding")
        CLOSED = "closed", _("Closed")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    occurred_on = models.DateField(_("occurred on"))
    prefectures = models.ManyToManyField(
        Organisation,
        verbose_name=_("affected prefectures"),
        related_name="+",
        limit_choices_to={"kind": Organisation.Kind.PREFECTURE},
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE
    )
    created_by = models.ForeignKey(
        "members.User",
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # 訓練: works like a real disaster, marked wherever it is shown, and
    # never counted in real reports (DisasterQuerySet.real()).
    is_drill = models.BooleanField(
        _("drill"),
        default=False,
        help_text=_(
            "A drill is marked as such everywhere and never counts in real reports."
        ),
    )

    objects = DisasterQuerySet.as_manager()

    class Meta:
        verbose_name = _("disaster")
        verbose_name_plural = _("disasters")
        ordering = ["-occurred_on", "-pk"]

    def __str__(self):
        return self.label

    @property
    def label(self):
        """The name as shown everywhere, with 【訓練】 in front of a drill's."""
        if self.is_drill:
            return _("[Drill] %(name)s") % {"name": self.name}
        return self.name

    @property
    def is_closed(self):
        return self.status == self.Status.CLOSED

    def clean(self):
        # Published reports say whether they are a drill's; turning a drill
        # into a real disaster (or back) would mix the two in them.
        if self.pk is None:
            return
        was_drill = (
            Disaster.objects.filter(pk=self.pk)
            .values_list("is_drill", flat=True)
            .first()
        )
        if was_drill != self.is_drill and self.snapshots.exists():
            raise ValidationError(
                {
                    "is_drill": ValidationError(
                        _(
                            "Reports of this disaster have been published; it "
                            "cannot become a drill, or stop being one."
                        ),
                        code="drill_mixed",
                    )
                }
            )


class WorkType(models.Model):
    """業務内容: a managed list, so reports group the same work together."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("work type")
        verbose_name_plural = _("work types")
        ordering = ["order", "pk"]

    def __str__(self):
        return self.name


class HelpRequestQuerySet(models.QuerySet):
    def with_related(self):
        return self.select_related(
            "disaster",
            "municipality__prefecture",
            "work_type",
            "work_place__prefecture",
        )


class HelpRequest(models.Model):
    """要請: what an affected municipality asked for, and through which channel."""

    class Channel(models.TextChoices):
        MIC_TOKYO = "mic_tokyo", _("MIC emergency staff dispatch (via Tokyo)")
        MEDIUM_LONG = "medium_long", _("Medium- to long-term dispatch")
        MHLW = "mhlw", _("Ministry of Health, Labour and Welfare")
        MOE = "moe", _("Ministry of the Environment")
        ASSESSORS = "assessors", _("Council of damage assessors")
        AGREEMENT = "agreement", _("Agreement")
        DIRECT = "direct", _("Direct")
        OTHER = "other", _("Other")

    class PlaceKind(models.TextChoices):
        ON_SITE = "on_site", _("On site")
        REMOTE = "remote", _("Remote")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        COORDINATING = "coordinating", _("Coordinating")
        ACCEPTED = "accepted", _("Accepted")
        PARTLY_ACCEPTED = "partly_accepted", _("Partly accepted")
        DECLINED = "declined", _("Declined")
        COMPLETED = "completed", _("Completed")

    disaster = models.ForeignKey(
        Disaster,
        verbose_name=_("disaster"),
        on_delete=models.CASCADE,
        related_name="requests",
    )
    municipality = models.ForeignKey(
        Organisation,
        verbose_name=_("municipality supported"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    work_type = models.ForeignKey(
        WorkType, verbose_name=_("work"), on_delete=models.PROTECT, related_name="+"
    )
    place_kind = models.CharField(
        _("place of work"),
        max_length=20,
        choices=PlaceKind.choices,
        default=PlaceKind.ON_SITE,
    )
    work_place = models.ForeignKey(
        Organisation,
        verbose_name=_("where the work is done"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("For remote work: the organisation whose premises are used."),
    )
    place_note = models.CharField(
        _("place"),
        max_length=100,
        blank=True,
        help_text=_("How the place appears in reports, e.g. 東京都庁."),
    )
    people_requested = models.PositiveIntegerField(_("people requested"))
    start_on = models.DateField(_("from"))
    end_on = models.DateField(_("until"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.RECEIVED
    )
    entered_by = models.ForeignKey(
        "members.User",
        verbose_name=_("entered by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # Saved edits so far; an edit form opened before the last one is refused
    # (members.common.versioning).
    version = models.PositiveIntegerField(default=0, editable=False)

    objects = HelpRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("request for help")
        verbose_name_plural = _("requests for help")
        ordering = ["start_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_on__gte=F("start_on")),
                name="disaster_request_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(people_requested__gt=0),
                name="disaster_request_people_positive",
            ),
        ]

    def __str__(self):
        return f"{self.municipality.full_name} {self.work_type}"

    @property
    def is_remote(self):
        return self.place_kind == self.PlaceKind.REMOTE

    def clean(self):
        errors = _date_order_errors(self.start_on, self.end_on)
        if self.people_requested is not None and self.people_requested < 1:
            errors["people_requested"] = ValidationError(
                _("Enter one person or more."), code="no_people"
            )
        if self.is_remote and not (self.work_place_id or self.place_note):
            errors["place_note"] = ValidationError(
                _("Say where remote work is done."), code="remote_without_place"
            )
        if errors:
            raise ValidationError(errors)


class Offer(models.Model):
    """応諾: a member organisation, or the 23 wards jointly, taking on (part
    of) a request. Any member may help any municipality, wards included."""

    class Basis(models.TextChoices):
        JOINT = "joint", _("23 wards jointly")
        AGREEMENT = "agreement", _("Individual support (friendship agreement etc.)")
        OTHER = "other", _("Other")

    request = models.ForeignKey(
        HelpRequest,
        verbose_name=_("request for help"),
        on_delete=models.CASCADE,
        related_name="offers",
    )
    sender = models.ForeignKey(
        Organisation,
        verbose_name=_("offering organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    is_joint = models.BooleanField(_("23 wards jointly"), default=False)
    basis = models.CharField(_("basis"), max_length=20, choices=Basis.choices)
    people = models.PositiveIntegerField(_("people offered"))
    note = models.TextField(_("note"), blank=True)
    # Saved edits so far (members.common.versioning).
    version = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        ordering = ["pk"]
        constraints = [
            # A joint offer belongs to no single organisation; any other
            # offer has one.
            models.CheckConstraint(
                condition=Q(is_joint=True, sender__isnull=True)
                | Q(is_joint=False, sender__isnull=False),
                name="disaster_offer_joint_or_sender",
            ),
            models.CheckConstraint(
                condition=Q(people__gt=0), name="disaster_offer_people_positive"
            ),
        ]

    def __str__(self):
        return f"{self.offerer_label}: {self.request}"

    def clean(self):
        errors = {}
        if self.people is not None and self.people < 1:
            errors["people"] = ValidationError(
                _("Enter one person or more."), code="no_people"
            )
        if self.is_joint and self.sender_id:
            errors["sender"] = ValidationError(
                _("A joint offer of the 23 wards has no single ward."),
                code="joint_with_ward",
            )
        if not self.is_joint and not self.sender_id:
            errors["sender"] = ValidationError(
                _("Choose the organisation making the offer."),
                code="sender_missing",
            )
        if (
            self.sender_id
            and self.request_id
            and self.sender_id == self.request.municipality_id
        ):
            errors["sender"] = ValidationError(
                _("An organisation cannot offer help to itself."),
                code="self_help",
            )
        if errors:
            raise ValidationError(errors)

    @property
    def offerer_label(self):
        return str(_("23 wards jointly")) if self.is_joint else self.sender.name


class DispatchQuerySet(models.QuerySet):
    def counted(self):
        """Dispatches that count: every status except cancelled."""
        return self.exclude(status=Dispatch.Status.CANCELLED)


class Dispatch(models.Model):
    """派遣: one team or wave (第1班), with inclusive dates."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        ON_DUTY = "on_duty", _("On duty")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    class Term(models.TextChoices):
        SHORT = "short", _("Short-term")
        MEDIUM_LONG = "medium_long", _("Medium- to long-term")

    offer = models.ForeignKey(
        Offer,
        verbose_name=_("offer"),
        on_delete=models.CASCADE,
        related_name="dispatches",
    )
    name = models.CharField(_("team"), max_length=50, help_text=_("e.g. 第1班"))
    sender = models.ForeignKey(
        Organisation,
        verbose_name=_("sending organisation"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    start_on = models.DateField(_("from"))
    end_on = models.DateField(_("until"))
    travel_days_at_start = models.PositiveSmallIntegerField(
        _("travel days at the start"), default=0
    )
    travel_days_at_end = models.PositiveSmallIntegerField(
        _("travel days at the end"), default=0
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PLANNED
    )
    term = models.CharField(
        _("term"), max_length=20, choices=Term.choices, default=Term.SHORT
    )
    # The day the team was agreed. A report "as of" a day counts the teams
    # known by then, planned ones included, as the published tables did.
    decided_on = models.DateField(_("decided on"), default=timezone.localdate)
    # Saved edits of the team and its seats (members.common.versioning).
    version = models.PositiveIntegerField(default=0, editable=False)

    objects = DispatchQuerySet.as_manager()

    class Meta:
        verbose_name = _("dispatch")
        verbose_name_plural = _("dispatches")
        ordering = ["start_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_on__gte=F("start_on")),
                name="disaster_dispatch_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(travel_days_at_start__lte=1, travel_days_at_end__lte=1),
                name="disaster_dispatch_travel_days_at_most_one",
            ),
        ]

    def __str__(self):
        return f"{self.sender.name} {self.name}"

    @property
    def is_remote(self):
        return self.offer.request.is_remote

    @property
    def days(self):
        return (self.end_on - self.start_on).days + 1

    def clean(self):
        errors = _date_order_errors(self.start_on, self.end_on)
        if self.offer_id and self.sender_id:
            if not self.offer.is_joint and self.sender_id != self.offer.sender_id:
                # No organisation sends a team in another's name.
                errors["sender"] = ValidationError(
                    _(
                        "A team is sent by the organisation that made the "
                        "offer, not by another one for it."
                    ),
                    code="other_sender",
                )
            elif (
                self.offer.is_joint
                and self.sender.kind != Organisation.Kind.SPECIAL_WARD
            ):
                errors["sender"] = ValidationError(
                    _("Teams of a joint offer are sent by one of the 23 wards."),
                    code="joint_not_ward",
                )
        if errors:
            raise ValidationError(errors)


class Seat(models.Model):
    """One person in a team; the unit every count is made of."""

    class JobType(models.TextChoices):
        CLERICAL = "clerical", _("Clerical")
        PUBLIC_HEALTH_NURSE = "nurse", _("Public health nurse")
        CIVIL_ENGINEERING = "civil", _("Civil engineering")
        ARCHITECTURE = "architecture", _("Architecture")
        SANITATION = "sanitation", _("Sanitation")
        OTHER = "other", _("Other")

    dispatch = models.ForeignKey(
        Dispatch,
        verbose_name=_("dispatch"),
        on_delete=models.CASCADE,
        related_name="seats",
    )
    job_type = models.CharField(_("job type"), max_length=20, choices=JobType.choices)
    # Seen only by the sending organisation and the office (permissions).
    person_name = models.CharField(_("person's name"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("seat")
        verbose_name_plural = _("seats")
        ordering = ["pk"]

    def __str__(self):
        return self.get_job_type_display()


class SupportMoney(models.Model):
    class Kind(models.TextChoices):
        RECONSTRUCTION = "reconstruction", _("Reconstruction support money")
        DONATION = "donation", _("Donation")

    disaster = models.ForeignKey(
        Disaster,
        verbose_name=_("disaster"),
        on_delete=models.CASCADE,
        related_name="money",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    payer = models.ForeignKey(
        Organisation,
        verbose_name=_("payer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    is_joint = models.BooleanField(_("23 wards jointly"), default=False)
    recipient = models.ForeignKey(
        Organisation,
        verbose_name=_("recipient"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    amount = models.PositiveBigIntegerField(_("amount (yen)"))
    basis = models.TextField(
        _("basis"),
        blank=True,
        help_text=_("For reconstruction support money: the damage points used."),
    )
    paid_on = models.DateField(_("paid on"))

    class Meta:
        verbose_name = _("support money")
        verbose_name_plural = _("support money")
        ordering = ["paid_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_joint=True, payer__isnull=True)
                | Q(is_joint=False, payer__isnull=False),
                name="disaster_money_joint_or_payer",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount:,}"


class SupportGoods(models.Model):
    disaster = models.ForeignKey(
        Disaster,
        verbose_name=_("disaster"),
        on_delete=models.CASCADE,
        related_name="goods",
    )
    item = models.CharField(_("item"), max_length=100)
    quantity = models.PositiveIntegerField(_("quantity"))
    unit = models.CharField(_("unit"), max_length=20)
    payer = models.ForeignKey(
        Organisation,
        verbose_name=_("provided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    is_joint = models.BooleanField(_("23 wards jointly"), default=False)
    recipient = models.ForeignKey(
        Organisation,
        verbose_name=_("recipient"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    sent_on = models.DateField(_("date"))

    class Meta:
        verbose_name = _("support goods")
        verbose_name_plural = _("support goods")
        ordering = ["sent_on", "pk"]

    def __str__(self):
        return f"{self.item} {self.quantity}{self.unit}"


class ChangeLog(ChangeRecord):
    """One changed field of any disaster-support row: who, when, old → new."""

    class Action(models.TextChoices):
        CREATE = "create", _("Created")
        UPDATE = "update", _("Updated")
        DELETE = "delete", _("Deleted")

    content_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, related_name="+"
    )
    object_id = models.PositiveBigIntegerField()
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    field = models.CharField(_("field"), max_length=50, blank=True)
    old_value = models.TextField(_("before"), blank=True)
    new_value = models.TextField(_("after"), blank=True)
    # The disaster the row belonged to and the organisation owning it (a
    # ward's offer, team or aid), kept as plain numbers when the change is
    # made, so the change stays on the disaster's history after the row,
    # or the disaster itself, is deleted (history.owner_of).
    disaster_ref = models.PositiveBigIntegerField(
        _("disaster"), null=True, blank=True, editable=False
    )
    owner_ref = models.PositiveBigIntegerField(
        _("owner"), null=True, blank=True, editable=False
    )

    class Meta(ChangeRecord.Meta):
        verbose_name = _("change")
        verbose_name_plural = _("change history")
        indexes = [
            models.Index(fields=["content_type", "object_id"]),
            models.Index(fields=["disaster_ref", "owner_ref"]),
        ]

    def __str__(self):
        return f"{self.content_type.model} {self.object_id} {self.field}"


class ReportSnapshot(models.Model):
    """A report as the office published it: frozen rows, never recomputed.

    `data` holds the tables' rows and footnotes exactly as computed at
    publication, so later edits of dispatches leave it unchanged.
    """

    disaster = models.ForeignKey(
        Disaster,
        verbose_name=_("disaster"),
        on_delete=models.CASCADE,
        related_name="snapshots",
    )
    title = models.CharField(_("title"), max_length=200)
    as_of = models.DateField(_("as of"))
    published_at = models.DateTimeField(_("published at"), default=timezone.now)
    approved_by = models.ForeignKey(
        "members.User",
        verbose_name=_("approved by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    # The approver's name as printed, kept even if the account goes later.
    approver_name = models.CharField(_("approver"), max_length=200)
    data = models.JSONField(_("data"))

    class Meta:
        verbose_name = _("published report")
        verbose_name_plural = _("published reports")
        ordering = ["-published_at", "-pk"]

    def __str__(self):
        return self.title


# ----- 復興支援金 by damage points (disaster_support.damage) -----

# Damage categories as the 被害報 count them: (field, label, default points).
# The 区長会's own weights are not public; the defaults follow the 石川県
# Noto 義援金 table (in units of 10,000 yen per household, 床上・床下 from its
# 2022 大雨 table). The office sets each disaster's own weights.
DAMAGE_CATEGORIES = (
    ("destroyed", _("Completely destroyed"), 100),
    ("major_half", _("Largely half destroyed"), 75),
    ("medium_half", _("Moderately half destroyed"), 50),
    ("half", _("Half destroyed"), 25),
    ("quasi_half", _("Quasi-half destroyed"), 10),
    ("partial", _("Partially damaged"), 3),
    ("flooded_above", _("Flooded above floor level"), 2),
    ("flooded_below", _("Flooded below floor level"), 1),
)
DAMAGE_FIELDS = tuple(name for name, _label, _points in DAMAGE_CATEGORIES)


class DamageWeights(models.Model):
    """Points per household of each damage category, set per disaster.

    Frozen allocations keep the weights they used; once one exists for the
    disaster, these can no longer change (damage.weights_update).
    """

    disaster = models.OneToOneField(
        Disaster,
        verbose_name=_("disaster"),
        on_delete=models.CASCADE,
        related_name="damage_weights",
    )
    destroyed = models.PositiveIntegerField(_("Completely destroyed"), default=100)
    major_half = models.PositiveIntegerField(_("Largely half destroyed"), default=75)
    medium_half = models.PositiveIntegerField(
        _("Moderately half destroyed"), default=50
    )
    half = models.PositiveIntegerField(_("Half destroyed"), default=25)
    quasi_half = models.PositiveIntegerField(_("Quasi-half destroyed"), default=10)
    partial = models.PositiveIntegerField(_("Partially damaged"), default=3)
    flooded_above = models.PositiveIntegerField(
        _("Flooded above floor level"), default=2
    )
    flooded_below = models.PositiveIntegerField(
        _("Flooded below floor level"), default=1
    )

    class Meta:
        verbose_name = _("damage point weights")
        verbose_name_plural = _("damage point weights")

    def __str__(self):
        return str(self.disaster)

    def clean(self):
        # A frozen payment was computed with the weights in force; changing
        # them afterwards would make its calculation unreproducible.
        if (
            self.disaster_id
            and Allocation.objects.filter(disaster_id=self.disaster_id).exists()
        ):
            raise ValidationError(
                _(
                    "A payment for this disaster has been frozen with these "
                    "weights, so they can no longer be changed."
                ),
                code="weights_frozen",
            )

    def as_dict(self):
        return {name: getattr(self, name) for name in DAMAGE_FIELDS}


class DamageFigures(models.Model):
    """An affected municipality's damage counts (households) as of a day."""

    disaster = models.ForeignKey(
        Disaster,
        verbose_name=_("disaster"),
        on_delete=models.CASCADE,
        related_name="damage_figures",
    )
    municipality = models.ForeignKey(
        Organisation,
        verbose_name=_("affected municipality"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    as_of = models.DateField(_("as of"))
    source = models.CharField(
        _("source"),
        max_length=200,
        blank=True,
        help_text=_("e.g. the damage report's number and date."),
    )
    destroyed = models.PositiveIntegerField(_("Completely destroyed"), default=0)
    major_half = models.PositiveIntegerField(_("Largely half destroyed"), default=0)
    medium_half = models.PositiveIntegerField(_("Moderately half destroyed"), default=0)
    half = models.PositiveIntegerField(_("Half destroyed"), default=0)
    quasi_half = models.PositiveIntegerField(_("Quasi-half destroyed"), default=0)
    partial = models.PositiveIntegerField(_("Partially damaged"), default=0)
    flooded_above = models.PositiveIntegerField(
        _("Flooded above floor level"), default=0
    )
    flooded_below = models.PositiveIntegerField(
        _("Flooded below floor level"), default=0
    )

    class Meta:
        verbose_name = _("damage figures")
        verbose_name_plural = _("damage figures")
        ordering = ["municipality__code", "municipality_id", "-as_of"]
        constraints = [
            models.UniqueConstraint(
                fields=["disaster", "municipality", "as_of"],
                name="disaster_damage_one_per_day",
                violation_error_message=_(
                    "Figures for this municipality on this day are already "
                    "recorded; change those instead."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.municipality.name} {self.as_of}"

    def clean(self):
        if not (self.disaster_id and self.as_of):
            return
        disaster = self.disaster
        if self.as_of < disaster.occurred_on:
            raise ValidationError(
                {
                    "as_of": ValidationError(
                        _("The date must be on or after the day of the disaster."),
                        code="before_disaster",
                    )
                }
            )
        if self.as_of > timezone.localdate():
            raise ValidationError(
                {
                    "as_of": ValidationError(
                        _("Figures cannot be dated in the future."),
                        code="future",
                    )
                }
            )

    def as_dict(self):
        return {name: getattr(self, name) for name in DAMAGE_FIELDS}


class Allocation(models.Model):
    """復興支援金 shared out by damage points, frozen with the payment decision.

    The lines keep the figures, weights, points and amounts as computed at
    the decision, so later edits of figures or weights leave them unchanged.
    """

    disaster = models.ForeignKey(
        Disaster,
        verbose_name=_("disaster"),
        on_delete=models.CASCADE,
        related_name="allocations",
    )
    total = models.PositiveBigIntegerField(_("total amount (yen)"))
    as_of = models.DateField(_("figures as of"))
    decided_on = models.DateField(_("payment decided on"))
    reference = models.CharField(_("decision reference"), max_length=200)
    weights = models.JSONField(_("weights used"))
    unallocated = models.PositiveBigIntegerField(_("left unallocated (yen)"))
    frozen_by = models.ForeignKey(
        "members.User",
        verbose_name=_("frozen by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    frozen_at = models.DateTimeField(_("frozen at"), default=timezone.now)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)

    class Meta:
        verbose_name = _("support money allocation")
        verbose_name_plural = _("support money allocations")
        ordering = ["-decided_on", "-pk"]

    def __str__(self):
        return f"{self.disaster} {self.reference}"


class AllocationLine(models.Model):
    """One municipality's part of a frozen allocation."""

    allocation = models.ForeignKey(
        Allocation,
        verbose_name=_("allocation"),
        on_delete=models.CASCADE,
        related_name="lines",
    )
    municipality = models.ForeignKey(
        Organisation,
        verbose_name=_("municipality"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    figures_as_of = models.DateField(_("figures as of"))
    figures = models.JSONField(_("figures"))
    points = models.PositiveBigIntegerField(_("points"))
    amount = models.PositiveBigIntegerField(_("amount (yen)"))
    money = models.OneToOneField(
        SupportMoney,
        verbose_name=_("support money"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="allocation_line",
    )

    class Meta:
        verbose_name = _("allocation line")
        verbose_name_plural = _("allocation lines")
        ordering = ["-points", "pk"]

    def __str__(self):
        return f"{self.municipality.name} {self.amount:,}"


class ReceptionPlan(models.Model):
    """受援計画: how a special ward would receive help, agreed beforehand.

    One per ward: who to call (day and night), the work it would ask others
    for, where helpers would work and sleep, and whom it would call first.
    """

    ward = models.OneToOneField(
        Organisation,
        verbose_name=_("ward"),
        on_delete=models.PROTECT,
        related_name="reception_plan",
        limit_choices_to={"kind": Organisation.Kind.SPECIAL_WARD},
    )
    department = models.CharField(_("department in charge"), max_length=100)
    phone = models.CharField(_("phone number"), max_length=30)
    email = models.EmailField(_("e-mail address"))
    after_hours = models.CharField(
        _("contact at night and on holidays"),
        max_length=200,
        help_text=_("e.g. 防災センター 03-0000-0000 (24時間)"),
    )
    note = models.TextField(_("note"), blank=True)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    # Saved edits so far, the rows' included (members.common.versioning).
    version = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("reception plan")
        verbose_name_plural = _("reception plans")
        ordering = ["ward__code", "pk"]

    def __str__(self):
        return str(self.ward)


class ReceptionNeed(models.Model):
    """A kind of work the ward would ask help for, with rough numbers."""

    plan = models.ForeignKey(
        ReceptionPlan,
        verbose_name=_("reception plan"),
        on_delete=models.CASCADE,
        related_name="needs",
    )
    work_type = models.ForeignKey(
        WorkType, verbose_name=_("work"), on_delete=models.PROTECT, related_name="+"
    )
    people = models.PositiveIntegerField(_("people (rough)"))
    days = models.PositiveIntegerField(_("days (rough)"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("work to ask help for")
        verbose_name_plural = _("work to ask help for")
        ordering = ["work_type__order", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "work_type"], name="disaster_reception_need_once"
            ),
            models.CheckConstraint(
                condition=Q(people__gt=0, days__gt=0),
                name="disaster_reception_need_positive",
            ),
        ]

    def __str__(self):
        return str(self.work_type)

    def clean(self):
        errors = {}
        for name in ("people", "days"):
            if getattr(self, name) is not None and getattr(self, name) < 1:
                errors[name] = ValidationError(
                    _("Enter one or more."), code="not_positive"
                )
        if errors:
            raise ValidationError(errors)


class ReceptionSite(models.Model):
    """受援拠点 or 宿泊場所: where helpers would work or stay."""

    class Kind(models.TextChoices):
        BASE = "base", _("Base for helpers")
        LODGING = "lodging", _("Lodging")

    plan = models.ForeignKey(
        ReceptionPlan,
        verbose_name=_("reception plan"),
        on_delete=models.CASCADE,
        related_name="sites",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100)
    address = models.CharField(_("address"), max_length=200)
    capacity = models.PositiveIntegerField(_("capacity (people)"))

    class Meta:
        verbose_name = _("reception site")
        verbose_name_plural = _("reception sites")
        ordering = ["kind", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(capacity__gt=0), name="disaster_reception_site_capacity"
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.capacity is not None and self.capacity < 1:
            raise ValidationError(
                {
                    "capacity": ValidationError(
                        _("Enter one person or more."), code="no_people"
                    )
                }
            )


class ReceptionPartner(models.Model):
    """An organisation the ward would call first, in the order it would."""

    plan = models.ForeignKey(
        ReceptionPlan,
        verbose_name=_("reception plan"),
        on_delete=models.CASCADE,
        related_name="partners",
    )
    rank = models.PositiveSmallIntegerField(_("order of calling"))
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("partner organisation"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.CharField(
        _("note"),
        max_length=200,
        blank=True,
        help_text=_("e.g. the agreement behind it"),
    )

    class Meta:
        verbose_name = _("partner to call")
        verbose_name_plural = _("partners to call")
        ordering = ["rank", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "organisation"],
                name="disaster_reception_partner_once",
            ),
            models.UniqueConstraint(
                fields=["plan", "rank"], name="disaster_reception_partner_rank"
            ),
            models.CheckConstraint(
                condition=Q(rank__gt=0), name="disaster_reception_partner_rank_pos"
            ),
        ]

    def __str__(self):
        return f"{self.rank}. {self.organisation}"

    def clean(self):
        if (
            self.plan_id
            and self.organisation_id
            and self.organisation_id == self.plan.ward_id
        ):
            raise ValidationError(
                {
                    "organisation": ValidationError(
                        _("A ward does not call on itself for help."),
                        code="self_partner",
                    )
                }
            )


# 協定・覚書 are in their own module; imported here so Django finds them.
from .agreement_models import Agreement  # noqa: E402, F401
