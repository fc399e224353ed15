"""Teams (dispatches) sent under an offer, and the people in them."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView

from members.common.versioning import StaleEdit
from members.common.views import ServiceFormView, form_errors

from .. import services
from ..access import access_dispatch_for_change, access_offer_for_dispatch
from ..forms import DispatchEditForm, DispatchForm, SeatFormSet


class DispatchCreateView(ServiceFormView):
    form_class = DispatchForm
    template_name = "disaster_support/dispatch_form.html"
    success_message = gettext_lazy("The dispatch was recorded.")

    def dispatch(self, request, *args, pk, **kwargs):
        self.offer = access_offer_for_dispatch(request.user, pk)
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "sender": None if self.offer.is_joint else self.offer.sender,
        }

    def get_initial(self):
        return {"decided_on": timezone.localdate()}

    def get_context_data(self, **kwargs):
        return super().get_context_data(offer=self.offer, **kwargs)

    def act(self, form):
        fields = form.dispatch_fields()
        fields.setdefault("sender", self.offer.sender)
        services.dispatch_create(
            offer=self.offer, actor=self.request.user, seats=form.seats(), **fields
        )
        return reverse(
            "disaster_support:request_detail", kwargs={"pk": self.offer.request_id}
        )


class DispatchUpdateView(FormView):
    form_class = DispatchEditForm
    template_name = "disaster_support/dispatch_form.html"

    def dispatch(self, request, *args, pk, **kwargs):
        self.object = access_dispatch_for_change(request.user, pk)
        self.offer = self.object.offer
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "sender": None if self.offer.is_joint else self.offer.sender,
            "with_seats": False,
        }

    def get_initial(self):
        dispatch = self.object
        return {
            "name": dispatch.name,
            "sender": dispatch.sender_id,
            "start_on": dispatch.start_on,
            "end_on": dispatch.end_on,
            "travel_days_at_start": bool(dispatch.travel_days_at_start),
            "travel_days_at_end": bool(dispatch.travel_days_at_end),
            "status": dispatch.status,
            "term": dispatch.term,
            "decided_on": dispatch.decided_on,
            "version": dispatch.version,
        }

    def get_seat_formset(self):
        """One row per person, with names: editors are the sender or the office,
        who may see them (permissions.can_see_names)."""
        if self.request.method == "POST":
            return SeatFormSet(self.request.POST, prefix="seats")
        return SeatFormSet(
            prefix="seats",
            initial=[
                {
                    "seat": seat.pk,
                    "job_type": seat.job_type,
                    "person_name": seat.person_name,
                }
                for seat in self.object.seats.all()
            ],
        )

    def get_context_data(self, **kwargs):
        kwargs.setdefault("seat_formset", self.get_seat_formset())
        return super().get_context_data(
            offer=self.offer, dispatch=self.object, **kwargs
        )

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        seat_formset = self.get_seat_formset()
        # Both are checked, and their errors shown, before anything is saved.
        valid = [form.is_valid(), seat_formset.is_valid()]
        if all(valid) and self.save(form, seat_formset):
            messages.success(self.request, _("The dispatch was updated."))
            return redirect("disaster_support:request_detail", pk=self.offer.request_id)
        return self.render_to_response(
            self.get_context_data(form=form, seat_formset=seat_formset)
        )

    def save(self, form, seat_formset):
        """Save the team and its people; False, with the errors on the form,
        if the service refused."""
        try:
            services.dispatch_update(
                dispatch=self.object,
                actor=self.request.user,
                seats=seat_formset.seats(),
                version=form.cleaned_data["version"],
                **form.dispatch_fields(),
            )
        except StaleEdit as error:
            self.object.refresh_from_db(fields=["version"])
            form.refuse_stale(error, version=self.object.version)
            return False
        except ValidationError as error:
            form_errors(form, error)
            return False
        return True
