"""Open requests for help that a member could answer."""

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.views.generic import TemplateView

from .. import open_requests, permissions
from ..forms import OpenRequestFilterForm


class OpenRequestListView(TemplateView):
    template_name = "disaster_support/open_requests.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        if not permissions.can_see_open_requests(user):
            raise PermissionDenied
        form = OpenRequestFilterForm(self.request.GET or None)
        filters = form.cleaned_data if form.is_valid() else {}
        rows = open_requests.open_requests_for(
            organisation=permissions.acting_organisation(user),
            work_type=filters.get("work_type"),
            within_km=filters.get("within_km"),
        )
        page = Paginator(rows, 50).get_page(self.request.GET.get("page"))
        return super().get_context_data(
            form=form, page_obj=page, rows=page.object_list, **kwargs
        )
