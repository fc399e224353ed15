"""A municipality's requests for help and members' offers to them."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView, View

from members.common.versioning import StaleEdit
from members.common.views import ServiceFormView

from .. import agreements, permissions, services
from ..access import access_disaster_for_request, access_request
from ..agreement_models import dispatch_basis_expression
from ..forms import OfferForm, RequestForm, RequestStatusForm
from ..models import Dispatch
from .common import ActingForMixin

# Teams on one page of a request; its offers are all shown.
TEAMS_PAGE_SIZE = 50


class RequestCreateView(ServiceFormView):
    form_class = RequestForm
    template_name = "disaster_support/request_form.html"
    success_message = gettext_lazy("The request was recorded.")

    def dispatch(self, request, *args, pk, **kwargs):
        self.disaster = access_disaster_for_request(request.user, pk)
        self.acting_for = permissions.acting_organisation(request.user)
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "municipality": self.acting_for}

    def get_context_data(self, **kwargs):
        # A member files for itself, so its partners can be suggested now.
        partners = (
            None
            if self.acting_for is None
            else agreements.partners_by_agreement(self.acting_for)
        )
        return super().get_context_data(
            disaster=self.disaster, partners=partners, **kwargs
        )

    def act(self, form):
        fields = dict(form.cleaned_data)
        fields.setdefault("municipality", self.request.user.organisation)
        if not permissions.can_enter_request(
            self.request.user, self.disaster, fields["municipality"]
        ):
            raise PermissionDenied
        help_request = services.request_create(
            disaster=self.disaster, actor=self.request.user, **fields
        )
        return reverse(
            "disaster_support:request_detail", kwargs={"pk": help_request.pk}
        )


class RequestDetailView(TemplateView):
    template_name = "disaster_support/request_detail.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        help_request = access_request(user, self.kwargs["pk"])
        offers = list(
            help_request.offers.select_related("sender").annotate(
                team_count=Count("dispatches")
            )
        )
        # The teams of all offers, one page at a time (an offer may be carried
        # out by hundreds of teams in turn), each under its offer.
        teams = Paginator(
            Dispatch.objects.filter(offer__request=help_request)
            .annotate(basis=dispatch_basis_expression())
            .select_related("sender")
            .prefetch_related("seats")
            .order_by("offer_id", "start_on", "pk"),
            TEAMS_PAGE_SIZE,
        ).get_page(self.request.GET.get("page"))
        by_offer = {offer.pk: offer for offer in offers}
        for offer in offers:
            offer.request = help_request
            offer.can_edit = permissions.can_edit_offer(user, offer)
            offer.page_teams = []
        for dispatch in teams:
            offer = dispatch.offer = by_offer[dispatch.offer_id]
            dispatch.can_edit = permissions.can_edit_dispatch(user, dispatch)
            dispatch.show_names = permissions.can_see_names(user, dispatch)
            offer.page_teams.append(dispatch)
        return super().get_context_data(
            help_request=help_request,
            offers=offers,
            teams=teams,
            can_offer=permissions.can_offer(user, help_request),
            partners=agreements.partners_by_agreement(help_request.municipality),
            can_edit=permissions.can_edit_request(user, help_request),
            status_form=RequestStatusForm(
                initial={"status": help_request.status, "version": help_request.version}
            ),
            **kwargs,
        )


class RequestStatusView(View):
    def post(self, request, pk):
        help_request = access_request(
            request.user, pk, may=permissions.can_edit_request
        )
        form = RequestStatusForm(request.POST)
        if form.is_valid():
            try:
                services.request_update(
                    help_request=help_request, actor=request.user, **form.cleaned_data
                )
            except StaleEdit as error:
                messages.error(request, error.message)
            else:
                messages.success(request, _("The status was changed."))
        return redirect("disaster_support:request_detail", pk=pk)


class OfferCreateView(ActingForMixin, ServiceFormView):
    """A member offers people in its own name; the office for any member,
    or for the 23 wards jointly."""

    form_class = OfferForm
    template_name = "disaster_support/offer_form.html"
    success_message = gettext_lazy("The offer was recorded.")

    def dispatch(self, request, *args, pk, **kwargs):
        self.help_request = access_request(request.user, pk, may=permissions.can_offer)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(help_request=self.help_request, **kwargs)

    def act(self, form):
        fields = dict(form.cleaned_data)
        if self.acting_for is not None:
            fields.update(sender=self.acting_for, is_joint=False)
        services.offer_create(
            request=self.help_request, actor=self.request.user, **fields
        )
        return reverse(
            "disaster_support:request_detail", kwargs={"pk": self.help_request.pk}
        )
