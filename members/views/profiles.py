"""Self-service: a person's own details and an organisation's introduction."""

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.generic import FormView, UpdateView

from .. import permissions
from ..forms import OrganisationProfileForm, ProfileForm
from ..models import DirectorySettings
from ..services import profiles
from .organisations import OwnOrganisationMixin


class ProfileView(UpdateView):
    """A person's own name, department and phone; links to mail settings
    and the e-mail address page, which keep those fields."""

    form_class = ProfileForm
    template_name = "members/user_profile.html"

    def get_object(self, queryset=None):
        return self.request.user

    def form_valid(self, form):
        profiles.user_update_profile(
            user=self.request.user,
            actor=self.request.user,
            changes=form.profile_changes(),
        )
        messages.success(self.request, _("Your profile has been saved."))
        return redirect("members:profile")


class OrganisationProfileView(OwnOrganisationMixin, FormView):
    """The organisation's introduction in the directory; the office may have
    it wait for approval."""

    form_class = OrganisationProfileForm
    template_name = "members/organisation_profile.html"

    def get_pending(self):
        if not hasattr(self, "_pending"):
            self._pending = profiles.profile_change_pending(
                organisation=self.get_organisation()
            )
        return self._pending

    def get_initial(self):
        pending = self.get_pending()
        text = pending.text if pending else self.get_organisation().profile
        return {"text": text}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            pending=self.get_pending(),
            needs_approval=permissions.profile_needs_approval(
                self.request.user, DirectorySettings.load()
            ),
            **kwargs,
        )

    def form_valid(self, form):
        waiting = profiles.organisation_update_profile(
            organisation=self.get_organisation(),
            actor=self.request.user,
            text=form.cleaned_data["text"],
        )
        if waiting:
            messages.success(
                self.request,
                _(
                    "The introduction has been sent to the office. It is shown "
                    "in the directory once approved."
                ),
            )
        else:
            messages.success(self.request, _("The introduction has been saved."))
        return redirect("members:organisation_profile", pk=self.kwargs["pk"])
