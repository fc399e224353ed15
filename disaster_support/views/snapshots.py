"""Reports frozen and published by the office as of a day."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View

from .. import permissions, services, snapshots
from ..access import access_disaster, access_snapshot
from ..forms import AsOfForm
from .common import download


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
        try:
            snapshot = services.snapshot_publish(
                disaster=disaster,
                as_of=form.cleaned_data["as_of"],
                actor=request.user,
            )
        except ValidationError as error:
            messages.error(request, error.messages[0])
            return redirect("disaster_support:disaster_detail", pk=pk)
        messages.success(request, _("The report was published."))
        return redirect("disaster_support:snapshot_detail", pk=snapshot.pk)


class SnapshotDetailView(TemplateView):
    template_name = "disaster_support/snapshot_detail.html"

    def get_context_data(self, **kwargs):
        snapshot = access_snapshot(self.request.user, self.kwargs["pk"])
        return super().get_context_data(
            snapshot=snapshot,
            tables=snapshots.tables(snapshot),
            **kwargs,
        )


class SnapshotExportView(View):
    def get(self, request, pk, table, fmt):
        snapshot = access_snapshot(request.user, pk)
        if not snapshots.has_table(snapshot, table) or fmt not in (
            "csv",
            "xlsx",
        ):
            raise Http404
        to_file = snapshots.to_csv if fmt == "csv" else snapshots.to_xlsx
        prefix = "drill-snapshot" if snapshot.data.get("is_drill") else "snapshot"
        name = f"{prefix}-{snapshot.pk}-{table}-{snapshot.as_of:%Y%m%d}.{fmt}"
        return download(fmt, to_file(snapshot, table), name)
