"""「自団体のページ」: an organisation's threads, what it must answer, its
open items and its staff."""

from django.views.generic import TemplateView

from members import permissions as member_permissions

from ..overview import organisation_overview


class OrganisationDashboardView(TemplateView):
    """For the organisation's own staff and the office; 404 for others, so
    that the page does not tell which organisations exist."""

    template_name = "boards/organisation_dashboard.html"

    def get_context_data(self, **kwargs):
        organisation = member_permissions.access_organisation(
            self.request.user, self.kwargs["pk"]
        )
        return super().get_context_data(
            organisation=organisation,
            overview=organisation_overview(
                organisation=organisation, viewer=self.request.user
            ),
            **kwargs,
        )
