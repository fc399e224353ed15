"""Forms of the 復興支援金 calculation; the rules themselves are in
damage_services (dates, affected municipalities, frozen weights)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from members.forms import DayField

from .damage_services import affected_municipalities
from .forms import DateInput
from .models import DAMAGE_CATEGORIES

NOT_NEGATIVE = _("Enter zero or more.")


def _count_fields(form, *, help_text=""):
    for name, label, _points in DAMAGE_CATEGORIES:
        form.fields[name] = forms.IntegerField(
            label=label,
            min_value=0,
            initial=0,
            help_text=help_text,
            error_messages={"min_value": NOT_NEGATIVE},
        )


class FiguresForm(forms.Form):
    """Households per damage category, as of a day; a new row needs the
    municipality too."""

    municipality = forms.ModelChoiceField(
        label=_("Affected municipality"), queryset=None
    )
    as_of = DayField(label=_("As of"), widget=DateInput())
    source = forms.CharField(
        label=_("Source"),
        max_length=200,
        required=False,
        help_text=_("e.g. the damage report's number and date."),
    )

    def __init__(self, *args, disaster, with_municipality=True, **kwargs):
        super().__init__(*args, **kwargs)
        if with_municipality:
            self.fields["municipality"].queryset = affected_municipalities(disaster)
        else:
            del self.fields["municipality"]
        _count_fields(self, help_text=_("Households"))


class WeightsForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _count_fields(self, help_text=_("Points per household"))


class CalculationForm(forms.Form):
    total = forms.IntegerField(
        label=_("Total amount (yen)"),
        min_value=1,
        error_messages={"min_value": _("Enter an amount of one yen or more.")},
    )
    as_of = DayField(label=_("Figures as of"), widget=DateInput())


class FreezeForm(CalculationForm):
    decided_on = DayField(label=_("Payment decided on"), widget=DateInput())
    reference = forms.CharField(
        label=_("Decision reference"),
        max_length=200,
        help_text=_("e.g. the 区長会 decision's number and date."),
    )


class PayForm(forms.Form):
    paid_on = DayField(label=_("Paid on"), widget=DateInput())
