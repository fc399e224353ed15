"""協定・覚書: agreements between organisations, the basis of much help.

Kept beside the tracker because the tracker uses them: suggested helpers
for a request, and which dispatches had an agreement behind them.
"""

import uuid

from django import forms
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, OuterRef, Q, Subquery
from django.db.models.functions import JSONObject
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import Organisation

# The dispatch field naming the organisation that sent the team.
DISPATCH_SENDER_FIELD = "sender"


def agreement_document_path(instance, filename):
    """A non-guessable name; the file is served only through a checked view."""
    return f"agreements/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.pdf"


class ChoiceArrayField(ArrayField):
    """A list of choices, edited as checkboxes (admin and site forms)."""

    def formfield(self, **kwargs):
        return forms.TypedMultipleChoiceField(
            label=self.verbose_name,
            choices=self.base_field.choices,
            coerce=str,
            required=not self.blank,
            widget=forms.CheckboxSelectMultiple,
            help_text=self.help_text,
        )


class AgreementQuerySet(models.QuerySet):
    def with_parties(self):
        return self.prefetch_related(
            models.Prefetch(
                "parties",
                queryset=Organisation.objects.with_prefecture().order_by("code", "pk"),
            )
        )

    def in_force_on(self, day):
        """Agreements signed by `day` and not ended before it (the rule of
        Agreement.is_in_force_on, in SQL)."""
        return self.filter(
            status__in=[Agreement.Status.ACTIVE, Agreement.Status.EXPIRED],
            signed_on__lte=day,
        ).filter(Q(ended_on__isnull=True) | Q(ended_on__gte=day))

    def for_disaster_aid(self):
        return self.filter(scopes__contains=[Agreement.Scope.DISASTER])


class Agreement(models.Model):
    """協定・覚書 between two or more organisations of the registry."""

    class Kind(models.TextChoices):
        MUTUAL_AID = "mutual_aid", _("Mutual disaster aid agreement")
        FRIENDSHIP = "friendship", _("Friendship city agreement")
        COMPREHENSIVE = "comprehensive", _("Comprehensive partnership memorandum")
        SISTER = "sister", _("Sister city agreement")
        OTHER = "other", _("Other agreement")

    class Scope(models.TextChoices):
        DISASTER = "disaster", _("Disaster support")
        CULTURE = "culture", _("Culture")
        TOURISM = "tourism", _("Tourism")
        INDUSTRY = "industry", _("Industry")
        EDUCATION = "education", _("Education")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        ACTIVE = "active", _("In force")
        EXPIRED = "expired", _("Ended")
        PREPARING = "preparing", _("In preparation")

    title = models.CharField(_("name of the agreement"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    parties = models.ManyToManyField(
        Organisation, verbose_name=_("parties"), related_name="agreements"
    )
    signed_on = models.DateField(_("signed on"))
    ended_on = models.DateField(
        _("ended on"),
        null=True,
        blank=True,
        help_text=_("For an agreement that has ended: its last day in force."),
    )
    scopes = ChoiceArrayField(
        models.CharField(max_length=20, choices=Scope.choices),
        verbose_name=_("scope"),
        default=list,
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE
    )
    note = models.TextField(_("note"), blank=True)
    document = models.FileField(
        _("document (PDF)"),
        upload_to=agreement_document_path,
        max_length=200,
        blank=True,
    )

    objects = AgreementQuerySet.as_manager()

    class Meta:
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")
        ordering = ["-signed_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("signed_on")),
                name="disaster_agreement_ended_after_signed",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def has_disaster_scope(self):
        return self.Scope.DISASTER in self.scopes

    def is_in_force_on(self, day):
        """Signed by `day` and not ended before it; never while in preparation."""
        return (
            self.status != self.Status.PREPARING
            and self.signed_on <= day
            and (self.ended_on is None or day <= self.ended_on)
        )

    def get_scopes_display(self):
        """The scopes' labels, in the order of the choices."""
        return [label for value, label in self.Scope.choices if value in self.scopes]

    def clean(self):
        errors = {}
        if self.signed_on and self.signed_on > timezone.localdate():
            errors["signed_on"] = ValidationError(
                _("The date of signing cannot be in the future."),
                code="signed_in_future",
            )
        if self.signed_on and self.ended_on and self.ended_on < self.signed_on:
            errors["ended_on"] = ValidationError(
                _("The end date must be on or after the date of signing."),
                code="ended_before_signed",
            )
        if self.status == self.Status.EXPIRED and not self.ended_on:
            errors["ended_on"] = ValidationError(
                _("Enter the last day of an agreement that has ended."),
                code="ended_without_date",
            )
        if errors:
            raise ValidationError(errors)


def dispatch_basis_expression():
    """For a Dispatch query: the agreement ({"id", "title"}) in force on the
    team's first day between its sender and the municipality it helped,
    or null; the earliest signed if several."""
    agreements = (
        Agreement.objects.in_force_on(OuterRef("start_on"))
        .filter(parties=OuterRef(DISPATCH_SENDER_FIELD))
        .filter(parties=OuterRef("offer__request__municipality"))
        .order_by("signed_on", "pk")
        .values(json=JSONObject(id="pk", title="title"))[:1]
    )
    return Subquery(agreements)
