from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe
from django.views.generic import FormView, TemplateView, View

from members.common.versioning import StaleEdit
from members.permissions import is_office_staff

from . import charts, exports, permissions, reports, services, snapshots
from .forms import (
    AsOfForm,
    DisasterForm,
    DispatchEditForm,
    DispatchForm,
    GoodsForm,
    MoneyForm,
    OfferForm,
    RequestForm,
    RequestStatusForm,
    SeatFormSet,
)
from .models import Disaster, Dispatch, HelpRequest, Offer, ReportSnapshot


def _form_errors(form, error):
    """Put a service's ValidationError on the form it came from."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


class DisasterListView(TemplateView):
    template_name = "disaster_support/disaster_list.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            disasters=Disaster.objects.prefetch_related("prefectures"),
            can_manage=permissions.can_manage_disasters(self.request.user),
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
            created_by=self.request.user, **form.cleaned_data
        )
        messages.success(self.request, _("The disaster was created."))
        return redirect("disaster_support:disaster_detail", pk=disaster.pk)


class DisasterCloseView(View):
    def post(self, request, pk):
        disaster = get_object_or_404(Disaster, pk=pk)
        if not permissions.can_manage_disasters(request.user):
            raise PermissionDenied
        services.disaster_close(disaster=disaster, by=request.user)
        messages.success(request, _("The disaster was closed."))
        return redirect("disaster_support:disaster_detail", pk=pk)


class DisasterReportMixin:
    """Loads the disaster and the as-of day from ?as_of=YYYY-MM-DD."""

    def load(self, pk):
        self.disaster = get_object_or_404(
            Disaster.objects.prefetch_related("prefectures"), pk=pk
        )
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
        """All the disaster's requests, for the report figures, and those the
        reader may open, for the lists: one query."""
        user = self.request.user
        all_requests = list(
            reports.with_log(
                self.disaster.requests.with_related(), self.as_of
            ).annotate(offered=Coalesce(Sum("offers__people"), 0))
        )
        requests = [
            help_request
            for help_request in all_requests
            if permissions.can_see_request(user, help_request)
        ]
        return all_requests, requests


class DisasterDetailView(DisasterReportMixin, TemplateView):
    template_name = "disaster_support/disaster_detail.html"

    def get(self, request, pk):
        self.load(pk)
        return super().get(request, pk)

    def get_context_data(self, **kwargs):
        user = self.request.user
        all_requests, requests = self.load_requests()
        money, goods = reports.money_and_goods(self.disaster)
        context = {
            "disaster": self.disaster,
            "money": money,
            "goods": goods,
            "as_of": self.as_of,
            "as_of_form": self.as_of_form,
            "can_manage": permissions.can_manage_disasters(user),
            "can_enter_request": permissions.can_enter_request(user, self.disaster),
            "can_record_aid": permissions.can_record_aid(user),
            "requests": requests,
            "open_requests": reports.open_requests(requests),
            "notes": {
                "newsletter": reports.NEWSLETTER_NOTE,
                "status": reports.STATUS_NOTE,
                "cross_tab": reports.CROSS_TAB_NOTE,
                "person_days": reports.PERSON_DAYS_NOTE,
                "open_requests": reports.OPEN_REQUESTS_NOTE,
            },
        }
        if self.as_of is not None:
            rows = reports.seat_rows(self.disaster, self.as_of)
            context.update(
                newsletter=reports.newsletter_table(rows),
                status=reports.status_table(rows, self.as_of),
                cross_tab=reports.cross_tab(rows),
                person_days=reports.person_days(rows, self.as_of),
            )
            context.update(
                duty_chart=charts.duty_chart(reports.duty_series(rows)),
                dispatch_map=charts.dispatch_map_svg(reports.map_places(rows)),
                medium_long=reports.medium_long(all_requests, rows),
                request_log=reports.request_log(requests),
            )
            context["notes"].update(
                duty_chart=reports.DUTY_CHART_NOTE,
                map=reports.MAP_NOTE,
                medium_long=reports.MEDIUM_LONG_NOTE,
                request_log=reports.REQUEST_LOG_NOTE,
            )
        return super().get_context_data(**context, **kwargs)


class ExportView(DisasterReportMixin, View):
    def get(self, request, pk, table, fmt):
        if table not in exports.TABLES or fmt not in ("csv", "xlsx"):
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
        if fmt == "csv":
            response = HttpResponse(
                exports.to_csv(table, source),
                content_type="text/csv; charset=utf-8",
            )
        else:
            response = HttpResponse(
                exports.to_xlsx(table, source),
                content_type=exports.XLSX_TYPE,
            )
        name = f"disaster-{self.disaster.pk}-{table}-{self.as_of:%Y%m%d}.{fmt}"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


class RequestCreateView(FormView):
    form_class = RequestForm
    template_name = "disaster_support/request_form.html"

    def dispatch(self, request, *args, pk, **kwargs):
        self.disaster = get_object_or_404(
            Disaster.objects.prefetch_related("prefectures"), pk=pk
        )
        if not permissions.can_enter_request(request.user, self.disaster):
            raise PermissionDenied
        self.office = is_office_staff(request.user)
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        municipality = None if self.office else self.request.user.organisation
        return {**super().get_form_kwargs(), "municipality": municipality}

    def get_context_data(self, **kwargs):
        return super().get_context_data(disaster=self.disaster, **kwargs)

    def form_valid(self, form):
        fields = dict(form.cleaned_data)
        fields.setdefault("municipality", self.request.user.organisation)
        if not permissions.can_enter_request(
            self.request.user, self.disaster, fields["municipality"]
        ):
            raise PermissionDenied
        try:
            help_request = services.request_create(
                disaster=self.disaster, entered_by=self.request.user, **fields
            )
        except ValidationError as error:
            _form_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The request was recorded."))
        return redirect("disaster_support:request_detail", pk=help_request.pk)


def _load_request(user, pk):
    help_request = get_object_or_404(HelpRequest.objects.with_related(), pk=pk)
    if not permissions.can_see_request(user, help_request):
        raise Http404
    return help_request


class RequestDetailView(TemplateView):
    template_name = "disaster_support/request_detail.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        help_request = _load_request(user, self.kwargs["pk"])
        offers = list(
            help_request.offers.select_related("ward").prefetch_related(
                "dispatches__ward", "dispatches__seats"
            )
        )
        for offer in offers:
            offer.can_edit = permissions.can_edit_offer(user, offer)
            for dispatch in offer.dispatches.all():
                dispatch.offer = offer
                dispatch.can_edit = permissions.can_edit_dispatch(user, dispatch)
                dispatch.show_names = permissions.can_see_names(user, dispatch)
        return super().get_context_data(
            help_request=help_request,
            offers=offers,
            can_offer=permissions.can_offer(user, help_request),
            can_edit=permissions.can_edit_request(user, help_request),
            status_form=RequestStatusForm(
                initial={"status": help_request.status, "version": help_request.version}
            ),
            **kwargs,
        )


class RequestStatusView(View):
    def post(self, request, pk):
        help_request = _load_request(request.user, pk)
        if not permissions.can_edit_request(request.user, help_request):
            raise PermissionDenied
        form = RequestStatusForm(request.POST)
        if form.is_valid():
            try:
                services.request_update(
                    help_request=help_request, by=request.user, **form.cleaned_data
                )
            except StaleEdit as error:
                messages.error(request, error.message)
            else:
                messages.success(request, _("The status was changed."))
        return redirect("disaster_support:request_detail", pk=pk)


class OfferCreateView(FormView):
    form_class = OfferForm
    template_name = "disaster_support/offer_form.html"

    def dispatch(self, request, *args, pk, **kwargs):
        self.help_request = _load_request(request.user, pk)
        if not permissions.can_offer(request.user, self.help_request):
            raise PermissionDenied
        self.office = is_office_staff(request.user)
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "office": self.office}

    def get_context_data(self, **kwargs):
        return super().get_context_data(help_request=self.help_request, **kwargs)

    def form_valid(self, form):
        fields = dict(form.cleaned_data)
        if not self.office:
            fields.update(ward=self.request.user.organisation, is_joint=False)
        try:
            services.offer_create(
                request=self.help_request, by=self.request.user, **fields
            )
        except ValidationError as error:
            _form_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The offer was recorded."))
        return redirect("disaster_support:request_detail", pk=self.help_request.pk)


class DispatchCreateView(FormView):
    form_class = DispatchForm
    template_name = "disaster_support/dispatch_form.html"

    def dispatch(self, request, *args, pk, **kwargs):
        self.offer = get_object_or_404(
            Offer.objects.select_related("ward", "request__disaster"), pk=pk
        )
        if not permissions.can_add_dispatch(request.user, self.offer):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "ward": None if self.offer.is_joint else self.offer.ward,
        }

    def get_initial(self):
        return {"decided_on": timezone.localdate()}

    def get_context_data(self, **kwargs):
        return super().get_context_data(offer=self.offer, **kwargs)

    def form_valid(self, form):
        fields = form.dispatch_fields()
        fields.setdefault("ward", self.offer.ward)
        try:
            services.dispatch_create(
                offer=self.offer, by=self.request.user, seats=form.seats(), **fields
            )
        except ValidationError as error:
            _form_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The dispatch was recorded."))
        return redirect("disaster_support:request_detail", pk=self.offer.request_id)


class DispatchUpdateView(FormView):
    form_class = DispatchEditForm
    template_name = "disaster_support/dispatch_form.html"

    def dispatch(self, request, *args, pk, **kwargs):
        self.object = get_object_or_404(
            Dispatch.objects.select_related("offer__ward", "offer__request__disaster"),
            pk=pk,
        )
        if not permissions.can_edit_dispatch(request.user, self.object):
            raise PermissionDenied
        self.offer = self.object.offer
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "ward": None if self.offer.is_joint else self.offer.ward,
            "with_seats": False,
        }

    def get_initial(self):
        dispatch = self.object
        return {
            "name": dispatch.name,
            "ward": dispatch.ward_id,
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
        """One row per person, with names: editors are the ward or the office,
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
        if not all(valid):
            return self.render_to_response(
                self.get_context_data(form=form, seat_formset=seat_formset)
            )
        try:
            services.dispatch_update(
                dispatch=self.object,
                by=request.user,
                seats=seat_formset.seats(),
                version=form.cleaned_data["version"],
                **form.dispatch_fields(),
            )
        except StaleEdit as error:
            self.object.refresh_from_db(fields=["version"])
            form.refuse_stale(error, version=self.object.version)
            return self.render_to_response(
                self.get_context_data(form=form, seat_formset=seat_formset)
            )
        except ValidationError as error:
            _form_errors(form, error)
            return self.render_to_response(
                self.get_context_data(form=form, seat_formset=seat_formset)
            )
        messages.success(self.request, _("The dispatch was updated."))
        return redirect("disaster_support:request_detail", pk=self.offer.request_id)


class SnapshotPublishView(View):
    """The office freezes the report as of the day shown on the page."""

    def post(self, request, pk):
        disaster = get_object_or_404(Disaster, pk=pk)
        if not permissions.can_publish_snapshot(request.user):
            raise PermissionDenied
        form = AsOfForm(request.POST, disaster=disaster)
        if not form.is_valid():
            for error in form.errors.get("as_of", []):
                messages.error(request, error)
            return redirect("disaster_support:disaster_detail", pk=pk)
        snapshot = services.snapshot_publish(
            disaster=disaster,
            as_of=form.cleaned_data["as_of"],
            approved_by=request.user,
        )
        messages.success(request, _("The report was published."))
        return redirect("disaster_support:snapshot_detail", pk=snapshot.pk)


def _load_snapshot(user, pk):
    if not permissions.can_view_reports(user):
        raise PermissionDenied
    return get_object_or_404(ReportSnapshot.objects.select_related("disaster"), pk=pk)


class SnapshotDetailView(TemplateView):
    template_name = "disaster_support/snapshot_detail.html"

    def get_context_data(self, **kwargs):
        snapshot = _load_snapshot(self.request.user, self.kwargs["pk"])
        return super().get_context_data(
            snapshot=snapshot, tables=snapshots.tables(snapshot), **kwargs
        )


class SnapshotExportView(View):
    def get(self, request, pk, table, fmt):
        if table not in snapshots.TABLES or fmt not in ("csv", "xlsx"):
            raise Http404
        snapshot = _load_snapshot(request.user, pk)
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
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


class AidCreateView(FormView):
    """Money or goods: the office for anyone, a ward in its own name."""

    def dispatch(self, request, *args, pk, **kwargs):
        self.disaster = get_object_or_404(Disaster, pk=pk)
        if not permissions.can_record_aid(request.user):
            raise PermissionDenied
        self.office = is_office_staff(request.user)
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "office": self.office}

    def get_context_data(self, **kwargs):
        return super().get_context_data(disaster=self.disaster, **kwargs)

    def form_valid(self, form):
        fields = dict(form.cleaned_data)
        if not self.office:
            fields.update(payer=self.request.user.organisation, is_joint=False)
        try:
            self.create(disaster=self.disaster, by=self.request.user, **fields)
        except ValidationError as error:
            _form_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The support was recorded."))
        return redirect("disaster_support:disaster_detail", pk=self.disaster.pk)


class MoneyCreateView(AidCreateView):
    form_class = MoneyForm
    template_name = "disaster_support/money_form.html"
    create = staticmethod(services.money_create)


class GoodsCreateView(AidCreateView):
    form_class = GoodsForm
    template_name = "disaster_support/goods_form.html"
    create = staticmethod(services.goods_create)


class ChangeHistoryView(TemplateView):
    template_name = "disaster_support/change_history.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        if not permissions.can_see_history(user):
            raise PermissionDenied
        disaster = get_object_or_404(Disaster, pk=self.kwargs["pk"])
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
