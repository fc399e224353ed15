"""Editing requests and offers on the site: members their own until the
request closes, the office anything (permissions.can_edit_request and
can_edit_offer). Each save goes through a service, so it is in the history."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django.views.generic import FormView

from members.common.versioning import StaleEdit
from members.common.views import form_errors

from .. import services
from ..access import access_offer_for_change, access_request
from ..forms import OfferEditForm, RequestEditForm
from ..permissions import can_edit_request


class _EditView(FormView):
    """Runs `act`; an edit saved by someone else in between is refused with
    the form kept, other refusals are shown on the form."""

    template_name = "disaster_support/edit_form.html"
    success_message = ""

    def form_valid(self, form):
        try:
            url = self.act(form)
        except StaleEdit as error:
            form.refuse_stale(error, version=self.current_version())
            return self.form_invalid(form)
        except ValidationError as error:
            form_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, self.success_message)
        return redirect(url)


class RequestUpdateView(_EditView):
    form_class = RequestEditForm
    success_message = gettext_lazy("The request was updated.")

    def dispatch(self, request, *args, pk, **kwargs):
        self.help_request = access_request(request.user, pk, may=can_edit_request)
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        help_request = self.help_request
        return {
            "channel": help_request.channel,
            "work_type": help_request.work_type_id,
            "place_kind": help_request.place_kind,
            "place_note": help_request.place_note,
            "people_requested": help_request.people_requested,
            "start_on": help_request.start_on,
            "end_on": help_request.end_on,
            "version": help_request.version,
        }

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            help_request=self.help_request,
            heading=gettext_lazy("Edit the request"),
            **kwargs,
        )

    def current_version(self):
        self.help_request.refresh_from_db(fields=["version"])
        return self.help_request.version

    def act(self, form):
        services.request_update(
            help_request=self.help_request, actor=self.request.user, **form.cleaned_data
        )
        return reverse(
            "disaster_support:request_detail", kwargs={"pk": self.help_request.pk}
        )


class OfferUpdateView(_EditView):
    form_class = OfferEditForm
    success_message = gettext_lazy("The offer was updated.")

    def dispatch(self, request, *args, pk, **kwargs):
        self.offer = access_offer_for_change(request.user, pk)
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        offer = self.offer
        return {
            "basis": offer.basis,
            "people": offer.people,
            "note": offer.note,
            "version": offer.version,
        }

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            help_request=self.offer.request,
            heading=gettext_lazy("Edit the offer"),
            **kwargs,
        )

    def current_version(self):
        self.offer.refresh_from_db(fields=["version"])
        return self.offer.version

    def act(self, form):
        services.offer_update(
            offer=self.offer, actor=self.request.user, **form.cleaned_data
        )
        return reverse(
            "disaster_support:request_detail", kwargs={"pk": self.offer.request_id}
        )
