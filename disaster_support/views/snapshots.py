"""Reports frozen and published by the office as of a day."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View

from .. import exports, permissions, services, snapshots
from ..access import access_disaster, access_snapshot
from ..forms import AsOfForm
from .common import attachment


class SnapshotPublishView(View):
    """The office freezes the report as of the day shown on the page."""

    def post(self, request, pk):
        disaster = access_disaster(
            request.user, pk, may=permissions.can_publish_snapshot
        )
        form = AsOfForm(request.POST, disaster=disaster)
        if not form.is_valid():
            for error in form.errors.get("as_of", []):
                messages.error(request, error)
            return redirect("disaster_support:disaster_detail", pk=pk)
        snapshot = services.snapshot_publish(
            disaster=disaster, as_of=form.cleaned_data["as_of"], actor=request.user
        )
        messages.success(request, _("The report was published."))
        return redirect("disaster_support:snapshot_detail", pk=snapshot.pk)


class SnapshotDetailView(TemplateView):
    template_name = "disaster_support/snapshot_detail.html"

    def get_context_data(self, **kwargs):
        snapshot = access_snapshot(self.request.user, self.kwargs["pk"])
        return super().get_context_data(
            snapshot=snapshot, tables=snapshots.tables(snapshot), **kwargs
        )


class SnapshotExportView(View):
    def get(self, request, pk, table, fmt):
        if table not in snapshots.TABLES or fmt not in ("csv", "xlsx"):
            raise Http404
        snapshot = access_snapshot(request.user, pk)
        if fmt == "csv":
            response = HttpResponse(
                snapshots.to_csv(snapshot, table),
                content_type="text/csv; charset=utf-8",
            )
        else:
            response = HttpResponse(
                snapshots.to_xlsx(snapshot, table), content_type=exports.XLSX_TYPE
            )
        name = f"snapshot-{snapshot.pk}-{table}-{snapshot.as_of:%Y%m%d}.{fmt}"
        return attachment(response, name)
