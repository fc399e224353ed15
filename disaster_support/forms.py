from django import forms
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from members.common import pdf
from members.common.versioning import VersionedForm
from members.common.widgets import QuickSelect
from members.forms import DayField
from members.models import Organisation

from .models import (
    Agreement,
    Disaster,
    Dispatch,
    HelpRequest,
    Offer,
    Seat,
    SupportMoney,
    WorkType,
)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def _check_dates(cleaned_data, start="start_on", end="end_on"):
    first, last = cleaned_data.get(start), cleaned_data.get(end)
    if first and last and last < first:
        raise ValidationError(
            {end: _("The end date must be on or after the start date.")},
            code="end_before_start",
        )


class AsOfForm(forms.Form):
    as_of = DayField(label=_("As of"), widget=DateInput())

    def __init__(self, *args, disaster, **kwargs):
        super().__init__(*args, **kwargs)
        self.disaster = disaster

    def clean_as_of(self):
        as_of = self.cleaned_data["as_of"]
        if as_of < self.disaster.occurred_on:
            raise ValidationError(
                _("The date must be on or after the day of the disaster."),
                code="before_disaster",
            )
        return as_of


class DisasterForm(forms.Form):
    name = forms.CharField(label=_("Name of the disaster"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=Disaster.Kind.choices)
    occurred_on = DayField(label=_("Occurred on"), widget=DateInput())
    prefectures = forms.ModelMultipleChoiceField(
        label=_("Affected prefectures"),
        queryset=Organisation.objects.prefectures().order_by("code"),
    )
    is_drill = forms.BooleanField(
        label=_("This is a drill (訓練)"),
        required=False,
        help_text=_(
            "A drill works like a real disaster but never counts in real reports."
        ),
    )


class RequestForm(forms.Form):
    municipality = forms.ModelChoiceField(
        label=_("Municipality supported"),
        queryset=Organisation.objects.local_governments()
        .with_prefecture()
        .order_by("code"),
        widget=QuickSelect,
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=HelpRequest.Channel.choices)
    work_type = forms.ModelChoiceField(label=_("Work"), queryset=WorkType.objects.all())
    place_kind = forms.ChoiceField(
        label=_("Place of work"), choices=HelpRequest.PlaceKind.choices
    )
    place_note = forms.CharField(
        label=_("Place"),
        max_length=100,
        required=False,
        help_text=_("For remote work, where it is done, e.g. 東京都庁."),
    )
    people_requested = forms.IntegerField(label=_("People requested"))
    start_on = DayField(label=_("First day"), widget=DateInput())
    end_on = DayField(label=_("Until"), widget=DateInput())

    def __init__(self, *args, municipality=None, **kwargs):
        super().__init__(*args, **kwargs)
        if municipality is not None:
            # Member staff file requests for their own municipality only.
            del self.fields["municipality"]

    def clean_people_requested(self):
        return _positive(self.cleaned_data["people_requested"])

    def clean(self):
        cleaned_data = super().clean()
        _check_dates(cleaned_data)
        if cleaned_data.get(
            "place_kind"
        ) == HelpRequest.PlaceKind.REMOTE and not cleaned_data.get("place_note"):
            self.add_error(
                "place_note",
                ValidationError(
                    _("Say where remote work is done."), code="remote_without_place"
                ),
            )
        return cleaned_data


class RequestStatusForm(VersionedForm):
    status = forms.ChoiceField(label=_("Status"), choices=HelpRequest.Status.choices)


def _positive(value):
    if value is not None and value < 1:
        raise ValidationError(_("Enter one person or more."), code="no_people")
    return value


class OfferForm(forms.Form):
    is_joint = forms.BooleanField(label=_("23 wards jointly"), required=False)
    sender = forms.ModelChoiceField(
        label=_("Offering organisation"),
        queryset=Organisation.objects.members().with_prefecture().order_by("code"),
        required=False,
        widget=QuickSelect,
    )
    basis = forms.ChoiceField(label=_("Basis"), choices=Offer.Basis.choices)
    people = forms.IntegerField(label=_("People offered"))
    note = forms.CharField(label=_("Note"), widget=forms.Textarea, required=False)

    def __init__(self, *args, office, **kwargs):
        super().__init__(*args, **kwargs)
        if not office:
            # A member offers for itself; joint offers are the office's.
            del self.fields["is_joint"]
            del self.fields["sender"]

    def clean_people(self):
        return _positive(self.cleaned_data["people"])

    def clean(self):
        cleaned_data = super().clean()
        if "sender" in self.fields:
            joint, sender = cleaned_data.get("is_joint"), cleaned_data.get("sender")
            if joint == bool(sender):
                self.add_error(
                    "sender",
                    ValidationError(
                        _(
                            "Choose an organisation, or mark the offer as joint, "
                            "not both."
                        ),
                        code="joint_or_sender",
                    ),
                )
        return cleaned_data


class DispatchForm(forms.Form):
    name = forms.CharField(label=_("Team"), max_length=50, initial="第1班")
    # Only for a joint offer, whose teams come from the 23 wards.
    sender = forms.ModelChoiceField(
        label=_("Dispatching ward"),
        queryset=Organisation.objects.filter(
            kind=Organisation.Kind.SPECIAL_WARD
        ).order_by("code"),
    )
    start_on = DayField(label=_("First day"), widget=DateInput())
    end_on = DayField(label=_("Until"), widget=DateInput())
    travel_days_at_start = forms.BooleanField(
        label=_("The first day is a travel day"), required=False
    )
    travel_days_at_end = forms.BooleanField(
        label=_("The last day is a travel day"), required=False
    )
    status = forms.ChoiceField(label=_("Status"), choices=Dispatch.Status.choices)
    term = forms.ChoiceField(label=_("Term"), choices=Dispatch.Term.choices)
    decided_on = DayField(label=_("Decided on"), widget=DateInput())

    def __init__(self, *args, sender=None, with_seats=True, **kwargs):
        super().__init__(*args, **kwargs)
        if sender is not None:
            # An organisation's own offer is carried out by it alone.
            del self.fields["sender"]
        if with_seats:
            for value, label in Seat.JobType.choices:
                self.fields[f"seats_{value}"] = forms.IntegerField(
                    label=label, min_value=0, initial=0
                )

    def seats(self):
        return [
            (value, "")
            for value, _label in Seat.JobType.choices
            for _number in range(self.cleaned_data.get(f"seats_{value}") or 0)
        ]

    def clean(self):
        cleaned_data = super().clean()
        _check_dates(cleaned_data)
        seat_fields = [name for name in self.fields if name.startswith("seats_")]
        if seat_fields and not self.errors and not self.seats():
            raise ValidationError(
                _("A team needs at least one person."), code="no_people"
            )
        return cleaned_data

    def dispatch_fields(self):
        data = {
            name: self.cleaned_data[name]
            for name in [
                "name",
                "start_on",
                "end_on",
                "status",
                "term",
                "decided_on",
            ]
        }
        data["travel_days_at_start"] = int(self.cleaned_data["travel_days_at_start"])
        data["travel_days_at_end"] = int(self.cleaned_data["travel_days_at_end"])
        if "sender" in self.cleaned_data:
            data["sender"] = self.cleaned_data["sender"]
        return data


class DispatchEditForm(VersionedForm, DispatchForm):
    """A team's fields, with the version it was opened at; seats go alongside."""


class SeatForm(forms.Form):
    """One person in a team. `seat` is the row's id; empty for a new person."""

    seat = forms.IntegerField(widget=forms.HiddenInput, required=False)
    # A blank choice, so that the empty row for a new person is left unsaved.
    job_type = forms.ChoiceField(
        label=_("Job type"), choices=[("", "---------"), *Seat.JobType.choices]
    )
    person_name = forms.CharField(label=_("Name"), max_length=100, required=False)


class BaseSeatFormSet(forms.BaseFormSet):
    def clean(self):
        super().clean()
        if not any(self.errors) and not self.seats():
            raise ValidationError(
                _("A team needs at least one person."), code="no_people"
            )

    def seats(self):
        """(seat id or None, job type, name) of each row kept; blank rows skipped."""
        return [
            (
                form.cleaned_data["seat"],
                form.cleaned_data["job_type"],
                form.cleaned_data["person_name"],
            )
            for form in self.forms
            if form.has_changed() or form.cleaned_data.get("seat")
            if not self._should_delete_form(form)
        ]


# One blank row to add a person; a ticked "delete" removes one.
SeatFormSet = forms.formset_factory(
    SeatForm, formset=BaseSeatFormSet, extra=1, can_delete=True
)


class _AidForm(forms.Form):
    """Who gave to whom. A ward gives in its own name; the office chooses."""

    is_joint = forms.BooleanField(label=_("23 wards jointly"), required=False)
    payer = forms.ModelChoiceField(
        label=_("Payer"),
        queryset=Organisation.objects.order_by("kind", "code"),
        required=False,
        widget=QuickSelect,
    )
    recipient = forms.ModelChoiceField(
        label=_("Recipient"),
        queryset=Organisation.objects.local_governments()
        .with_prefecture()
        .order_by("code"),
        widget=QuickSelect,
    )

    def __init__(self, *args, office, **kwargs):
        super().__init__(*args, **kwargs)
        if not office:
            del self.fields["is_joint"]
            del self.fields["payer"]

    def clean(self):
        cleaned_data = super().clean()
        if "payer" in self.fields:
            joint, payer = cleaned_data.get("is_joint"), cleaned_data.get("payer")
            if joint == bool(payer):
                self.add_error(
                    "payer",
                    ValidationError(
                        _("Choose a payer, or mark it as joint, not both."),
                        code="joint_or_payer",
                    ),
                )
        return cleaned_data


class MoneyForm(_AidForm):
    # Positive amounts and dates after the disaster: services.money_create.
    kind = forms.ChoiceField(label=_("Kind"), choices=SupportMoney.Kind.choices)
    amount = forms.IntegerField(label=_("Amount (yen)"))
    paid_on = DayField(label=_("Paid on"), widget=DateInput())
    basis = forms.CharField(
        label=_("Basis"),
        widget=forms.Textarea,
        required=False,
        help_text=_("For reconstruction support money: the damage points used."),
    )

    field_order = ["kind", "is_joint", "payer", "recipient", "amount", "paid_on"]


class GoodsForm(_AidForm):
    # Positive quantities and dates after the disaster: services.goods_create.
    item = forms.CharField(label=_("Item"), max_length=100)
    quantity = forms.IntegerField(label=_("Quantity"))
    unit = forms.CharField(label=_("Unit"), max_length=20)
    sent_on = DayField(label=_("Date"), widget=DateInput())

    field_order = ["item", "quantity", "unit", "is_joint", "payer", "recipient"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "payer" in self.fields:
            self.fields["payer"].label = _("Provided by")


class QuickSelectMultiple(QuickSelect, forms.SelectMultiple):
    """QuickSelect for choosing several: the same fast options, `multiple`."""


def _organisations():
    return Organisation.objects.with_prefecture().order_by("code", "pk")


MAX_DOCUMENT_BYTES = 10 * 1024 * 1024


# Scripts, launch actions and embedded files do harm when a PDF is opened.
def document_check(upload):
    """An agreement's document: a PDF of at most 10 MB without active content,
    by the same rule as a post's PDF (members.common.pdf), packed objects
    included."""
    upload.seek(0)
    data = upload.read(MAX_DOCUMENT_BYTES + 1)
    upload.seek(0)
    if len(data) > MAX_DOCUMENT_BYTES:
        raise ValidationError(
            _("The file is too large: documents can be at most %(limit)s."),
            code="too_large",
            params={"limit": filesizeformat(MAX_DOCUMENT_BYTES)},
        )
    if not pdf.looks_like_pdf(data):
        raise ValidationError(_("Attach the agreement as a PDF file."), code="not_pdf")
    try:
        harmful = pdf.active_content(data, max_unpacked=MAX_DOCUMENT_BYTES)
    except pdf.Unreadable:
        raise ValidationError(
            _("Attach the agreement as a PDF file."), code="not_pdf"
        ) from None
    except pdf.TooLarge:
        raise ValidationError(
            _("The file is too large: documents can be at most %(limit)s."),
            code="too_large",
            params={"limit": filesizeformat(MAX_DOCUMENT_BYTES)},
        ) from None
    if harmful:
        raise ValidationError(
            _(
                "The PDF contains scripts, actions that start programs, or "
                "embedded files. Please create it again without them (for "
                "example by printing it to PDF) and attach it again."
            ),
            code="pdf_active_content",
        )
    return upload


class AgreementForm(forms.Form):
    """An agreement of the register; the office's form (services check the
    parties and dates)."""

    title = forms.CharField(label=_("Name of the agreement"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=Agreement.Kind.choices)
    parties = forms.ModelMultipleChoiceField(
        label=_("Parties"),
        queryset=_organisations(),
        widget=QuickSelectMultiple(attrs={"size": 8}),
        help_text=_(
            "Two or more organisations. Hold Ctrl (⌘ on a Mac) to choose more than one."
        ),
    )
    signed_on = DayField(label=_("Signed on"), widget=DateInput())
    scopes = forms.MultipleChoiceField(
        label=_("Scope"),
        choices=Agreement.Scope.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    status = forms.ChoiceField(label=_("Status"), choices=Agreement.Status.choices)
    ended_on = DayField(
        label=_("Ended on"),
        widget=DateInput(),
        required=False,
        help_text=_("For an agreement that has ended: its last day in force."),
    )
    note = forms.CharField(label=_("Note"), widget=forms.Textarea, required=False)
    document = forms.FileField(
        label=_("Document (PDF)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,application/pdf"}),
        help_text=_("The signed text as a PDF file of at most 10 MB."),
    )

    def clean_document(self):
        document = self.cleaned_data.get("document")
        if not document:
            return None
        return document_check(document)


class AgreementFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[("", _("All kinds")), *Agreement.Kind.choices],
        required=False,
    )
    scope = forms.ChoiceField(
        label=_("Scope"),
        choices=[("", _("All fields")), *Agreement.Scope.choices],
        required=False,
    )
    prefecture = forms.ModelChoiceField(
        label=_("Prefecture"),
        queryset=Organisation.objects.prefectures().order_by("code"),
        required=False,
        empty_label=_("All prefectures"),
    )
    organisation = forms.ModelChoiceField(
        label=_("Organisation"),
        queryset=_organisations(),
        required=False,
        widget=QuickSelect,
        empty_label=_("All organisations"),
    )


class OpenRequestFilterForm(forms.Form):
    """Filters of the open requests list; every field optional."""

    work_type = forms.ModelChoiceField(
        label=_("Work"), queryset=WorkType.objects.all(), required=False
    )
    within_km = forms.TypedChoiceField(
        label=_("Distance"),
        choices=[
            ("", _("Any distance")),
            *((str(km), _("Within %(km)s km") % {"km": km}) for km in (100, 300, 500)),
        ],
        coerce=int,
        empty_value=None,
        required=False,
    )


class RequestEditForm(VersionedForm, RequestForm):
    """A request's own fields; who asks stays as it was filed."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, municipality=True, **kwargs)


class OfferEditForm(VersionedForm):
    """What an offer promises; who offers stays as it was recorded."""

    basis = forms.ChoiceField(label=_("Basis"), choices=Offer.Basis.choices)
    people = forms.IntegerField(label=_("People offered"))
    note = forms.CharField(label=_("Note"), widget=forms.Textarea, required=False)

    def clean_people(self):
        return _positive(self.cleaned_data["people"])
