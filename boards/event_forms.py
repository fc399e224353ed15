"""Forms of event sign-up and of the calendar's filters."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.forms import DayField
from members.models import Organisation

from . import permissions
from .forms import DateInput
from .models import Attendance, Attendee, Category, RegistrationSettings

CAPACITY_MAX = 10_000


class RegistrationSettingsForm(forms.Form):
    """The organiser's sign-up settings for one event."""

    is_open = forms.BooleanField(label=_("Take registrations"), required=False)
    capacity = forms.IntegerField(
        label=_("Capacity (number of attendees)"),
        min_value=1,
        max_value=CAPACITY_MAX,
        error_messages={
            "required": _("Enter the number of attendees who can take part."),
            "min_value": _("Enter a capacity of at least 1."),
            "max_value": _("Enter a capacity of at most 10,000."),
            "invalid": _("Enter the capacity as a whole number."),
        },
        help_text=_(
            "When every seat is taken, further attendees go on the waiting list."
        ),
    )
    modes = forms.ChoiceField(
        label=_("Attendance"),
        choices=RegistrationSettings.Modes.choices,
        widget=forms.RadioSelect,
    )
    application_deadline = DayField(
        label=_("Application deadline"),
        required=False,
        widget=DateInput,
        help_text=_(
            "Registrations are taken until the end of this day. Without one, "
            "until the event begins."
        ),
    )

    def __init__(self, *args, event, **kwargs):
        super().__init__(*args, **kwargs)
        self.event = event

    def clean_application_deadline(self):
        deadline = self.cleaned_data["application_deadline"]
        if deadline is not None and deadline > self.event.ends_on:
            raise forms.ValidationError(
                _("The application deadline cannot be after the event."),
                code="deadline_after_event",
            )
        return deadline


class AttendeeForm(forms.Form):
    """One person of the signing-up organisation."""

    name = forms.CharField(
        label=_("Name"),
        max_length=Attendee._meta.get_field("name").max_length,
        error_messages={"required": _("Enter the attendee's name.")},
    )
    department = forms.CharField(
        label=_("Department (optional)"),
        max_length=Attendee._meta.get_field("department").max_length,
        required=False,
    )
    attendance = forms.ChoiceField(
        label=_("Attendance"),
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose on site or online."),
            "invalid_choice": _("This event does not take attendees that way."),
        },
    )

    def __init__(self, *args, registration, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = registration.allowed_attendance()
        self.fields["attendance"].choices = [(a.value, a.label) for a in allowed]
        if len(allowed) == 1:
            self.fields["attendance"].initial = allowed[0].value
        else:
            self.fields["attendance"].initial = Attendance.ON_SITE


class CalendarFilterForm(forms.Form):
    """Which month, and optionally which category and prefecture."""

    month = forms.RegexField(label=_("Month"), regex=r"^\d{4}-\d{2}$", required=False)
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.order_by("order", "pk"),
        to_field_name="slug",
        required=False,
        empty_label=_("All categories"),
    )
    prefecture = forms.ModelChoiceField(
        label=_("Prefecture"),
        queryset=Organisation.objects.prefectures().order_by("code"),
        required=False,
        empty_label=_("All prefectures"),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = permissions.readable_categories(
            user, self.fields["category"].queryset
        )

    def year_month(self) -> tuple[int, int]:
        """The chosen month, or this month when none or a wrong one is given."""
        if self.is_valid() and self.cleaned_data["month"]:
            year, month = map(int, self.cleaned_data["month"].split("-"))
            if 1 <= month <= 12 and 2000 <= year <= 2100:
                return year, month
        today = timezone.localdate()
        return today.year, today.month

    def filters(self) -> dict:
        """category and prefecture, None where not chosen or not valid."""
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "category": data.get("category"),
            "prefecture": data.get("prefecture"),
        }


def month_param(year: int, month: int) -> str:
    return datetime.date(year, month, 1).strftime("%Y-%m")
