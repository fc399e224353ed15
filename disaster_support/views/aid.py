"""Support money and goods sent for a disaster."""

from django.urls import reverse
from django.utils.translation import gettext_lazy

from members.common.views import ServiceFormView

from .. import permissions, services
from ..access import access_disaster
from ..forms import GoodsForm, MoneyForm
from .common import ActingForMixin


class AidCreateView(ActingForMixin, ServiceFormView):
    """Money or goods: the office for anyone, a ward in its own name."""

    success_message = gettext_lazy("The support was recorded.")

    def dispatch(self, request, *args, pk, **kwargs):
        self.disaster = access_disaster(
            request.user, pk, may=permissions.can_record_aid
        )
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(disaster=self.disaster, **kwargs)

    def act(self, form):
        fields = dict(form.cleaned_data)
        if self.acting_for is not None:
            fields.update(payer=self.acting_for, is_joint=False)
        self.create(disaster=self.disaster, actor=self.request.user, **fields)
        return reverse(
            "disaster_support:disaster_detail", kwargs={"pk": self.disaster.pk}
        )


class MoneyCreateView(AidCreateView):
    form_class = MoneyForm
    template_name = "disaster_support/money_form.html"
    create = staticmethod(services.money_create)


class GoodsCreateView(AidCreateView):
    form_class = GoodsForm
    template_name = "disaster_support/goods_form.html"
    create = staticmethod(services.goods_create)
