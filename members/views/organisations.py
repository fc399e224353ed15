from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.generic import DetailView, FormView, UpdateView, View

from .. import permissions
from ..common.versioning import StaleEdit
from ..forms import ContactForm, StaffDeactivateForm, StaffInviteForm
from ..models import ContactChange, MembershipChange, User
from ..services import accounts, organisations


class OwnOrganisationMixin:
    """Pages for an organisation's own staff and the office; 404 for others."""

    def get_organisation(self):
        if not hasattr(self, "_organisation"):
            self._organisation = permissions.access_organisation(
                self.request.user, self.kwargs["pk"]
            )
        return self._organisation

    def get_object(self, queryset=None):
        return self.get_organisation()

    def get_context_data(self, **kwargs):
        return super().get_context_data(organisation=self.get_organisation(), **kwargs)


class ContactUpdateView(OwnOrganisationMixin, UpdateView):
    """Edit contact details; also where the yearly confirmation is done."""

    form_class = ContactForm
    template_name = "members/organisation_contact.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            confirmation_pending=organisations.confirmation_pending(
                organisation=self.get_organisation()
            ),
            **kwargs,
        )

    def form_valid(self, form):
        try:
            organisations.organisation_update_contact(
                organisation=self.object,
                actor=self.request.user,
                changes=form.contact_changes(),
                version=form.cleaned_data["version"],
            )
        except StaleEdit as error:
            form.instance.refresh_from_db()
            form.refuse_stale(error, version=form.instance.contact_version)
            return self.form_invalid(form)
        organisations.organisation_confirm_contact(
            organisation=self.object, actor=self.request.user
        )
        messages.success(self.request, _("The contact details have been saved."))
        return redirect("members:organisation_contact", pk=self.object.pk)


class ContactConfirmView(OwnOrganisationMixin, View):
    """Confirm that the details are still right, without changing them."""

    http_method_names = ["post"]

    def post(self, request, pk):
        organisations.organisation_confirm_contact(
            organisation=self.get_organisation(), actor=request.user
        )
        messages.success(request, _("Thank you. The contact details are confirmed."))
        return redirect("members:organisation_contact", pk=pk)


class ContactHistoryView(OwnOrganisationMixin, DetailView):
    """Every change to contact details and membership: who, when, old, new."""

    template_name = "members/organisation_history.html"

    def get_context_data(self, **kwargs):
        organisation = self.get_organisation()
        return super().get_context_data(
            contact_changes=ContactChange.objects.filter(
                organisation=organisation
            ).select_related("changed_by__organisation__prefecture")[:500],
            membership_changes=MembershipChange.objects.filter(
                organisation=organisation
            ).select_related("changed_by__organisation__prefecture"),
            **kwargs,
        )


class StaffView(OwnOrganisationMixin, FormView):
    """The organisation's accounts: invite new staff, turn off those who left."""

    form_class = StaffInviteForm
    template_name = "members/organisation_staff.html"

    def get_context_data(self, **kwargs):
        organisation = self.get_organisation()
        staff = list(
            User.objects.filter(organisation=organisation).order_by(
                "-is_active", "display_name"
            )
        )
        return super().get_context_data(
            staff=staff,
            colleagues=[person for person in staff if person.is_active],
            **kwargs,
        )

    def form_valid(self, form):
        accounts.staff_invite(
            organisation=self.get_organisation(),
            actor=self.request.user,
            **form.cleaned_data,
        )
        # The same answer whether or not the address has an account.
        messages.success(
            self.request,
            _("An invitation has been sent to %(email)s.")
            % {"email": form.cleaned_data["email"]},
        )
        return redirect("members:organisation_staff", pk=self.kwargs["pk"])


class StaffDeactivateView(OwnOrganisationMixin, View):
    """Turn off a leaver's account, handing their follows and open
    notifications to the colleague chosen."""

    http_method_names = ["post"]

    def post(self, request, pk, user_pk):
        organisation = self.get_organisation()
        user = get_object_or_404(User, pk=user_pk, organisation=organisation)
        form = StaffDeactivateForm(request.POST, leaver=user)
        if not form.is_valid():
            messages.error(request, form.errors["successor"][0])
            return redirect("members:organisation_staff", pk=pk)
        try:
            accounts.staff_deactivate(
                user=user,
                actor=request.user,
                successor=form.cleaned_data["successor"],
            )
        except ValidationError as error:
            messages.error(request, error.messages[0])
        else:
            messages.success(
                request,
                _("The account of %(name)s has been turned off.")
                % {"name": user.display_name},
            )
        return redirect("members:organisation_staff", pk=pk)
