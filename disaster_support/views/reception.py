"""受援計画: the list of the wards' plans, one ward's sheet, and its editing."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View

from members.common.versioning import StaleEdit
from members.models import Organisation

from .. import permissions, reception
from ..models import ReceptionPlan
from ..reception_forms import (
    NeedFormSet,
    PartnerFormSet,
    ReceptionPlanForm,
    SiteFormSet,
)


def _ward(user, pk) -> Organisation:
    """A special ward, for those who may read plans (403, then 404)."""
    if not permissions.can_see_reception_plans(user):
        raise PermissionDenied
    return get_object_or_404(
        Organisation.objects.filter(kind=Organisation.Kind.SPECIAL_WARD), pk=pk
    )


class ReceptionListView(TemplateView):
    template_name = "disaster_support/reception_list.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        if not permissions.can_see_reception_plans(user):
            raise PermissionDenied
        wards = list(reception.special_wards())
        for ward in wards:
            ward.can_edit = permissions.can_edit_reception_plan(user, ward)
        return super().get_context_data(wards=wards, **kwargs)


class ReceptionDetailView(TemplateView):
    """The one-page sheet, printed as it is shown."""

    template_name = "disaster_support/reception_detail.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        ward = _ward(user, self.kwargs["pk"])
        return super().get_context_data(
            ward=ward,
            plan=reception.plan_for_sheet(ward),
            can_edit=permissions.can_edit_reception_plan(user, ward),
            **kwargs,
        )


class ReceptionEditView(View):
    template_name = "disaster_support/reception_form.html"

    def load(self, request, pk):
        self.ward = _ward(request.user, pk)
        if not permissions.can_edit_reception_plan(request.user, self.ward):
            raise PermissionDenied
        self.plan = ReceptionPlan.objects.filter(ward=self.ward).first()

    def forms(self, data=None):
        instance = self.plan or ReceptionPlan(ward=self.ward)
        return {
            "form": ReceptionPlanForm(
                data, instance=self.plan, initial={"version": instance.version}
            ),
            "needs": NeedFormSet(data, instance=instance, prefix="needs"),
            "sites": SiteFormSet(data, instance=instance, prefix="sites"),
            "partners": PartnerFormSet(
                data, instance=instance, prefix="partners", ward=self.ward
            ),
        }

    def render(self, request, forms):
        return render(request, self.template_name, {"ward": self.ward, **forms})

    def get(self, request, pk):
        self.load(request, pk)
        return self.render(request, self.forms())

    def post(self, request, pk):
        self.load(request, pk)
        forms = self.forms(request.POST)
        if not all(form.is_valid() for form in forms.values()):
            return self.render(request, forms)
        fields = {
            name: forms["form"].cleaned_data[name]
            for name in ReceptionPlanForm._meta.fields
        }
        try:
            reception.reception_plan_save(
                ward=self.ward,
                actor=request.user,
                fields=fields,
                formsets=[forms["needs"], forms["sites"], forms["partners"]],
                version=forms["form"].cleaned_data["version"],
            )
        except StaleEdit as error:
            saved = ReceptionPlan.objects.filter(ward=self.ward).first()
            forms["form"].refuse_stale(error, version=saved.version if saved else 0)
            return self.render(request, forms)
        messages.success(request, _("The reception plan was saved."))
        return redirect("disaster_support:reception_detail", pk=self.ward.pk)
