"""Support money and goods sent for a disaster."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.generic import FormView

from .. import permissions, services
from ..access import access_disaster
from ..forms import GoodsForm, MoneyForm
from .common import form_errors


class AidCreateView(FormView):
    """Money or goods: the office for anyone, a ward in its own name."""

    def dispatch(self, request, *args, pk, **kwargs):
        self.disaster = access_disaster(
            request.user, pk, may=permissions.can_record_aid
        )
        self.acting_for = permissions.acting_organisation(request.user)
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "office": self.acting_for is None}

    def get_context_data(self, **kwargs):
        return super().get_context_data(disaster=self.disaster, **kwargs)

    def form_valid(self, form):
        fields = dict(form.cleaned_data)
        if self.acting_for is not None:
            fields.update(payer=self.acting_for, is_joint=False)
        try:
            self.create(disaster=self.disaster, actor=self.request.user, **fields)
        except ValidationError as error:
            form_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The support was recorded."))
        return redirect("disaster_support:disaster_detail", pk=self.disaster.pk)


class MoneyCreateView(AidCreateView):
    form_class = MoneyForm
    template_name = "disaster_support/money_form.html"
    create = staticmethod(services.money_create)


class GoodsCreateView(AidCreateView):
    form_class = GoodsForm
    template_name = "disaster_support/goods_form.html"
    create = staticmethod(services.goods_create)
