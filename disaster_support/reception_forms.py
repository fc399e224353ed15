"""Forms of the 受援計画 page: the plan itself and its three lists."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from members.common.versioning import VersionedForm
from members.common.widgets import QuickSelect
from members.models import Organisation

from .models import ReceptionNeed, ReceptionPartner, ReceptionPlan, ReceptionSite


class ReceptionPlanForm(VersionedForm, forms.ModelForm):
    """The plan's own fields, and the version it was opened at (0 before the
    ward's first plan)."""

    class Meta:
        model = ReceptionPlan
        fields = ["department", "phone", "email", "after_hours", "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 3})}


class ReceptionNeedForm(forms.ModelForm):
    class Meta:
        model = ReceptionNeed
        fields = ["work_type", "people", "days", "note"]


class ReceptionSiteForm(forms.ModelForm):
    class Meta:
        model = ReceptionSite
        fields = ["kind", "name", "address", "capacity"]


class ReceptionPartnerForm(forms.ModelForm):
    class Meta:
        model = ReceptionPartner
        fields = ["rank", "organisation", "note"]
        widgets = {"organisation": QuickSelect}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.order_by(
            "code", "pk"
        )


class BasePartnerFormSet(forms.BaseInlineFormSet):
    def __init__(self, *args, ward, **kwargs):
        self.ward = ward
        super().__init__(*args, **kwargs)

    def clean(self):
        super().clean()
        for form in self.forms:
            if self._should_delete_form(form) or not hasattr(form, "cleaned_data"):
                continue
            organisation = form.cleaned_data.get("organisation")
            if organisation is not None and organisation.pk == self.ward.pk:
                form.add_error(
                    "organisation",
                    ValidationError(
                        _("A ward does not call on itself for help."),
                        code="self_partner",
                    ),
                )


def _formset(model, form, **kwargs):
    return forms.inlineformset_factory(
        ReceptionPlan, model, form=form, extra=2, can_delete=True, **kwargs
    )


NeedFormSet = _formset(ReceptionNeed, ReceptionNeedForm)
SiteFormSet = _formset(ReceptionSite, ReceptionSiteForm)
PartnerFormSet = _formset(
    ReceptionPartner, ReceptionPartnerForm, formset=BasePartnerFormSet
)
