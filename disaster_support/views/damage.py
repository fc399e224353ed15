"""復興支援金 by damage points: figures, weights, the calculation shown in
full, and its freezing with the payment decision (the office); the frozen
result for every member."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from members.common.views import ServiceFormView, form_errors

from .. import damage, damage_services, permissions
from ..access import access_allocation, access_disaster
from ..damage_forms import (
    CalculationForm,
    FiguresForm,
    FreezeForm,
    PayForm,
    WeightsForm,
)
from ..models import DAMAGE_CATEGORIES, DAMAGE_FIELDS, Allocation, DamageFigures


def _categories(weights):
    return [(name, label, weights[name]) for name, label, _points in DAMAGE_CATEGORIES]


def _calculation(disaster, form):
    """The calculation for a valid CalculationForm, or None (errors on the
    form)."""
    if not form.is_valid():
        return None
    try:
        return damage.calculate(
            disaster,
            total=form.cleaned_data["total"],
            as_of=form.cleaned_data["as_of"],
        )
    except ValidationError as error:
        form_errors(form, error)
        return None


class OfficeDamageMixin:
    """The disaster, for the office only (403 for anyone else)."""

    def dispatch(self, request, *args, pk, **kwargs):
        self.disaster = access_disaster(
            request.user, pk, may=permissions.can_manage_damage, with_prefectures=True
        )
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(disaster=self.disaster, **kwargs)

    def damage_page(self):
        return reverse("disaster_support:damage", kwargs={"pk": self.disaster.pk})


class DamageView(OfficeDamageMixin, TemplateView):
    """Figures, weights, and the calculation for a total and a day."""

    template_name = "disaster_support/damage.html"

    def get_context_data(self, **kwargs):
        weights = damage.weights_for(self.disaster)
        data = self.request.GET if "total" in self.request.GET else None
        form = CalculationForm(
            data,
            initial={"as_of": max(timezone.localdate(), self.disaster.occurred_on)},
        )
        calculation = _calculation(self.disaster, form) if data else None
        freeze_form = None
        if calculation is not None:
            freeze_form = FreezeForm(
                initial={
                    **form.cleaned_data,
                    "decided_on": timezone.localdate(),
                }
            )
        return super().get_context_data(
            categories=_categories(weights),
            figures=DamageFigures.objects.filter(disaster=self.disaster)
            .select_related("municipality__prefecture")
            .order_by("municipality__code", "municipality_id", "-as_of"),
            form=form,
            calculation=calculation,
            freeze_form=freeze_form,
            allocations=damage.frozen_allocations(self.disaster),
            weights_frozen=self.disaster.allocations.exists(),
            note=damage.ALLOCATION_NOTE,
            **kwargs,
        )


class FiguresCreateView(OfficeDamageMixin, ServiceFormView):
    form_class = FiguresForm
    template_name = "disaster_support/damage_figures_form.html"
    success_message = gettext_lazy("The damage figures were recorded.")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "disaster": self.disaster}

    def act(self, form):
        damage_services.figures_create(
            disaster=self.disaster, actor=self.request.user, **form.cleaned_data
        )
        return self.damage_page()


class FiguresUpdateView(ServiceFormView):
    form_class = FiguresForm
    template_name = "disaster_support/damage_figures_form.html"
    success_message = gettext_lazy("The damage figures were changed.")

    def dispatch(self, request, *args, pk, **kwargs):
        if not permissions.can_manage_damage(request.user):
            raise PermissionDenied
        self.figures = get_object_or_404(
            DamageFigures.objects.select_related(
                "disaster", "municipality__prefecture"
            ),
            pk=pk,
        )
        self.disaster = self.figures.disaster
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "disaster": self.disaster,
            "with_municipality": False,
        }

    def get_initial(self):
        return {
            "as_of": self.figures.as_of,
            "source": self.figures.source,
            **self.figures.as_dict(),
        }

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            disaster=self.disaster, figures=self.figures, **kwargs
        )

    def act(self, form):
        damage_services.figures_update(
            figures=self.figures, actor=self.request.user, **form.cleaned_data
        )
        return reverse("disaster_support:damage", kwargs={"pk": self.disaster.pk})


class WeightsView(OfficeDamageMixin, ServiceFormView):
    form_class = WeightsForm
    template_name = "disaster_support/damage_weights_form.html"
    success_message = gettext_lazy("The weights were saved.")

    def get_initial(self):
        return damage.weights_for(self.disaster)

    def act(self, form):
        damage_services.weights_update(
            disaster=self.disaster, actor=self.request.user, **form.cleaned_data
        )
        return self.damage_page()


class AllocationFreezeView(OfficeDamageMixin, ServiceFormView):
    """Freeze the calculation shown with the payment decision."""

    form_class = FreezeForm
    template_name = "disaster_support/allocation_freeze.html"
    success_message = gettext_lazy(
        "The allocation was frozen with the payment decision."
    )
    http_method_names = ["post"]

    def get_context_data(self, **kwargs):
        form = kwargs.get("form")
        calculation = None
        if form is not None and form.cleaned_data.keys() >= {"total", "as_of"}:
            try:
                calculation = damage.calculate(
                    self.disaster,
                    total=form.cleaned_data["total"],
                    as_of=form.cleaned_data["as_of"],
                )
            except ValidationError:
                calculation = None
        weights = damage.weights_for(self.disaster)
        return super().get_context_data(
            calculation=calculation,
            categories=_categories(weights),
            note=damage.ALLOCATION_NOTE,
            **kwargs,
        )

    def act(self, form):
        allocation = damage_services.allocation_freeze(
            disaster=self.disaster, actor=self.request.user, **form.cleaned_data
        )
        return reverse("disaster_support:allocation_detail", args=[allocation.pk])


class AllocationDetailView(TemplateView):
    """A frozen allocation's calculation, as stored at the decision."""

    template_name = "disaster_support/allocation_detail.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        allocation = access_allocation(user, self.kwargs["pk"])
        lines = list(
            allocation.lines.select_related("municipality__prefecture", "money")
        )
        all_points = sum(line.points for line in lines)
        for line in lines:
            line.cells = [
                (
                    line.figures[name],
                    allocation.weights[name],
                    line.figures[name] * allocation.weights[name],
                )
                for name in DAMAGE_FIELDS
            ]
            line.share_percent = damage.format_share_of(line.points, all_points)
        can_manage = permissions.can_manage_damage(user)
        return super().get_context_data(
            allocation=allocation,
            disaster=allocation.disaster,
            lines=lines,
            all_points=all_points,
            allocated=sum(line.amount for line in lines),
            categories=[
                (name, label, allocation.weights[name])
                for name, label, _points in DAMAGE_CATEGORIES
            ],
            note=damage.ALLOCATION_NOTE,
            can_manage=can_manage,
            pay_form=PayForm(initial={"paid_on": timezone.localdate()})
            if can_manage and allocation.paid_on is None
            else None,
            **kwargs,
        )


class AllocationPayView(ServiceFormView):
    """Record a frozen allocation's amounts as support money, in one go."""

    form_class = PayForm
    template_name = "disaster_support/allocation_pay.html"
    success_message = gettext_lazy("The payments were recorded as support money.")
    http_method_names = ["post"]

    def dispatch(self, request, *args, pk, **kwargs):
        if not permissions.can_manage_damage(request.user):
            raise PermissionDenied
        self.allocation = get_object_or_404(
            Allocation.objects.select_related("disaster"), pk=pk
        )
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            allocation=self.allocation, disaster=self.allocation.disaster, **kwargs
        )

    def act(self, form):
        damage_services.allocation_pay(
            allocation=self.allocation,
            actor=self.request.user,
            paid_on=form.cleaned_data["paid_on"],
        )
        return reverse("disaster_support:allocation_detail", args=[self.allocation.pk])
