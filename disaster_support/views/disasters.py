"""The disaster list and page, its report downloads and change history."""

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe
from django.views.generic import FormView, TemplateView, View

from .. import (
    charts,
    directions,
    exports,
    history,
    permissions,
    reports,
    selectors,
    services,
)
from ..access import access_disaster, access_history
from ..forms import AsOfForm, DisasterForm
from ..models import Disaster
from .common import download

# Rows of the per-request log (one per team) on one page of the report; the
# summary tables above it stay whole. The log is built in the same query as
# the rest, so a page costs no extra query however many teams there are.
REQUEST_LOG_PAGE_SIZE = 100


class DisasterListView(TemplateView):
    template_name = "disaster_support/disaster_list.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            disasters=Disaster.objects.prefetch_related("prefectures"),
            can_manage=permissions.can_manage_disasters(self.request.user),
            can_see_reception_plans=permissions.can_see_reception_plans(
                self.request.user
            ),
            **kwargs,
        )


class DisasterCreateView(FormView):
    form_class = DisasterForm
    template_name = "disaster_support/disaster_form.html"

    def dispatch(self, request, *args, **kwargs):
        if not permissions.can_manage_disasters(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        disaster = services.disaster_create(
            actor=self.request.user, **form.cleaned_data
        )
        messages.success(self.request, _("The disaster was created."))
        return redirect("disaster_support:disaster_detail", pk=disaster.pk)


class DisasterCloseView(View):
    def post(self, request, pk):
        disaster = access_disaster(
            request.user, pk, may=permissions.can_manage_disasters
        )
        services.disaster_close(disaster=disaster, actor=request.user)
        messages.success(request, _("The disaster was closed."))
        return redirect("disaster_support:disaster_detail", pk=pk)


class DisasterReportMixin:
    """Loads the disaster and the as-of day from ?as_of=YYYY-MM-DD."""

    def load(self, pk):
        self.disaster = access_disaster(self.request.user, pk, with_prefectures=True)
        data = self.request.GET if "as_of" in self.request.GET else None
        self.as_of_form = AsOfForm(
            data, disaster=self.disaster, initial={"as_of": timezone.localdate()}
        )
        if data is None:
            self.as_of = max(timezone.localdate(), self.disaster.occurred_on)
        elif self.as_of_form.is_valid():
            self.as_of = self.as_of_form.cleaned_data["as_of"]
        else:
            self.as_of = None

    def load_requests(self):
        return selectors.report_requests(
            disaster=self.disaster, user=self.request.user, as_of=self.as_of
        )


class DisasterDetailView(DisasterReportMixin, TemplateView):
    template_name = "disaster_support/disaster_detail.html"

    def get(self, request, pk):
        self.load(pk)
        return super().get(request, pk)

    def get_context_data(self, **kwargs):
        user = self.request.user
        all_requests, requests = self.load_requests()
        report = reports.disaster_report(
            disaster=self.disaster,
            as_of=self.as_of,
            all_requests=all_requests,
            requests=requests,
        )
        context = report.context()
        if "request_log" in context:
            context["request_log"] = Paginator(
                context["request_log"], REQUEST_LOG_PAGE_SIZE
            ).get_page(self.request.GET.get("page"))
        return super().get_context_data(
            disaster=self.disaster,
            as_of=self.as_of,
            as_of_form=self.as_of_form,
            can_manage=permissions.can_manage_disasters(user),
            can_enter_request=permissions.can_enter_request(user, self.disaster),
            can_record_aid=permissions.can_record_aid(user),
            can_manage_damage=permissions.can_manage_damage(user),
            own_direction=directions.own_direction(
                report.figures.get("directions", []),
                permissions.acting_organisation(user),
            ),
            **context,
            **kwargs,
        )


class ExportView(DisasterReportMixin, View):
    def get(self, request, pk, table, fmt):
        if table not in exports.EXPORTABLE or fmt not in ("csv", "xlsx"):
            raise Http404
        self.load(pk)
        if self.as_of is None:
            raise Http404
        all_requests, requests = self.load_requests()
        source = exports.Source(
            disaster=self.disaster,
            as_of=self.as_of,
            rows=reports.seat_rows(self.disaster, self.as_of),
            all_requests=all_requests,
            requests=requests,
        )
        to_file = exports.to_csv if fmt == "csv" else exports.to_xlsx
        prefix = "drill" if self.disaster.is_drill else "disaster"
        name = f"{prefix}-{self.disaster.pk}-{table}-{self.as_of:%Y%m%d}.{fmt}"
        return download(fmt, to_file(table, source), name)


class ChangeHistoryView(TemplateView):
    template_name = "disaster_support/change_history.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        disaster = access_history(user, self.kwargs["pk"])
        page = Paginator(permissions.visible_changes(user, disaster), 50).get_page(
            self.request.GET.get("page")
        )
        for change in page:
            # Names from the model classes, so no query per row.
            model = change.content_type.model_class()
            change.what = model._meta.verbose_name
            change.field_label = (
                model._meta.get_field(change.field).verbose_name if change.field else ""
            )
        history.name_references(page)
        return super().get_context_data(disaster=disaster, page_obj=page, **kwargs)


@require_safe
@cache_control(private=True, max_age=charts.MAP_BASE_CACHE_SECONDS)
def map_base(request):
    """The grey outline of Japan under the dispatch map, cached: it changes
    only when the registry's coordinates do, and keeps the report page's
    queries down."""
    key = f"disaster_support:map-base:{get_language()}"
    svg = cache.get(key)
    if svg is None:
        svg = charts.map_base_svg()
        cache.set(key, svg, charts.MAP_BASE_CACHE_SECONDS)
    return HttpResponse(svg, content_type="image/svg+xml")
