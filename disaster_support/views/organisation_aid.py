"""One organisation's 支援 and 受援 over all disasters."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.views.generic import TemplateView

from members.models import Organisation

from .. import organisation_aid, permissions


class OrganisationAidView(TemplateView):
    template_name = "disaster_support/organisation_aid.html"

    def get_context_data(self, **kwargs):
        if not permissions.can_view_organisation_aid(self.request.user):
            raise PermissionDenied
        organisation = get_object_or_404(
            Organisation.objects.select_related("prefecture"), pk=self.kwargs["pk"]
        )
        return super().get_context_data(
            organisation=organisation,
            record=organisation_aid.organisation_aid(organisation),
            note=organisation_aid.NOTE,
            **kwargs,
        )
