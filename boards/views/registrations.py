"""Event sign-up: the section on the event's page, the organiser's settings,
attendee list and exports, and signing people up and cancelling them."""

import csv
import io

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.generic import FormView, TemplateView, View

from members.common.spreadsheets import Sheet, spreadsheet_safe, xlsx_workbook

from .. import permissions
from ..event_forms import AttendeeForm, RegistrationSettingsForm
from ..models import Attendee, EventDetails, RegistrationSettings
from ..services import registrations

EXPORT_HEADER = [
    gettext_lazy("Organisation"),
    gettext_lazy("Prefecture"),
    gettext_lazy("Name"),
    pgettext_lazy("attendee", "Department"),
    gettext_lazy("Attendance"),
    gettext_lazy("Status"),
    gettext_lazy("Registered at"),
]


def registration_context(user, thread):
    """What the event page shows of sign-up: seats, the person's own
    organisation's attendees, the form, and the organiser's links."""
    event = getattr(thread, "event", None)
    if event is None:
        return {}
    settings = RegistrationSettings.objects.filter(event=event).first()
    can_manage = permissions.can_manage_registration(user, thread)
    if settings is None:
        return {"registration_can_manage": can_manage}
    event.registration = settings
    counts = {
        row["status"]: row["n"]
        for row in Attendee.objects.filter(event=event)
        .active()
        .order_by()
        .values("status")
        .annotate(n=Count("pk"))
    }
    own = list(
        Attendee.objects.filter(event=event, organisation_id=user.organisation_id)
        .active()
        .in_order()
    )
    closed = registrations.registration_closed(event)
    can_register = permissions.can_register_for(user, thread) and closed is None
    confirmed = counts.get(Attendee.Status.CONFIRMED, 0)
    return {
        "registration": settings,
        "registration_can_manage": can_manage,
        "registration_closed": closed,
        "registration_confirmed": confirmed,
        "registration_waiting": counts.get(Attendee.Status.WAITING, 0),
        "registration_free": max(settings.capacity - confirmed, 0),
        "own_attendees": own,
        "attendee_form": AttendeeForm(registration=settings) if can_register else None,
    }


def _event_for(user, pk):
    """The event of thread pk, if the user may see the thread (else 404)."""
    thread = permissions.access_thread(user, pk)
    event = get_object_or_404(
        EventDetails.objects.select_related("registration"), thread=thread
    )
    event.thread = thread
    return event


def _managed_event(user, pk):
    event = _event_for(user, pk)
    if not permissions.can_manage_registration(user, event.thread):
        raise PermissionDenied
    return event


class RegistrationSettingsView(FormView):
    """The organiser opens sign-up and sets seats, modes and deadline."""

    form_class = RegistrationSettingsForm
    template_name = "boards/registration_settings.html"

    def dispatch(self, request, *args, **kwargs):
        self.event = _managed_event(request.user, kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "event": self.event}

    def get_initial(self):
        settings = getattr(self.event, "registration", None)
        if settings is None:
            return {
                "is_open": True,
                "modes": RegistrationSettings.Modes.BOTH,
                "application_deadline": self.event.application_deadline,
            }
        return {
            "is_open": settings.is_open,
            "capacity": settings.capacity,
            "modes": settings.modes,
            "application_deadline": self.event.application_deadline,
        }

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            event=self.event, thread=self.event.thread, **kwargs
        )

    def form_valid(self, form):
        registrations.registration_configure(
            event=self.event, actor=self.request.user, **form.cleaned_data
        )
        messages.success(self.request, _("The registration settings were saved."))
        return redirect("boards:thread", pk=self.event.thread.pk)


class AttendeeAddView(View):
    """Sign one person of the user's organisation up for the event."""

    http_method_names = ["post"]

    def post(self, request, pk):
        event = _event_for(request.user, pk)
        settings = getattr(event, "registration", None)
        if settings is None or not permissions.can_register_for(
            request.user, event.thread
        ):
            raise PermissionDenied
        form = AttendeeForm(request.POST, registration=settings)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return redirect(_section(pk))
        try:
            attendee = registrations.attendee_register(
                event=event, actor=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            messages.error(request, error.messages[0])
            return redirect(_section(pk))
        if attendee.status == Attendee.Status.CONFIRMED:
            messages.success(
                request,
                _("%(name)s is registered.") % {"name": attendee.name},
            )
        else:
            messages.warning(
                request,
                _(
                    "The event is full: %(name)s is on the waiting list and "
                    "will be registered if a seat becomes free."
                )
                % {"name": attendee.name},
            )
        return redirect(_section(pk))


class AttendeeCancelView(View):
    """Cancel one attendee (their organisation, or the organiser)."""

    http_method_names = ["post"]

    def post(self, request, pk):
        attendee = get_object_or_404(
            Attendee.objects.select_related("event__thread"), pk=pk
        )
        thread_pk = attendee.event.thread_id
        permissions.access_thread(request.user, thread_pk)
        if not permissions.can_cancel_attendee(request.user, attendee):
            raise Http404
        try:
            registrations.attendee_cancel(attendee=attendee, actor=request.user)
        except ValidationError as error:
            messages.error(request, error.messages[0])
        else:
            messages.success(
                request,
                _("The registration of %(name)s was cancelled.")
                % {"name": attendee.name},
            )
        if request.POST.get("next") == "list":
            return redirect("boards:attendee_list", pk=thread_pk)
        return redirect(_section(thread_pk))


def _section(thread_pk):
    return reverse("boards:thread", args=[thread_pk]) + "#registration"


def _attendees(event):
    return list(
        Attendee.objects.filter(event=event)
        .for_listing()
        .order_by("status", "registered_at", "pk")
    )


def _ordered(attendees):
    """Confirmed, then the waiting list in its order, then cancellations."""
    rank = {
        Attendee.Status.CONFIRMED: 0,
        Attendee.Status.WAITING: 1,
        Attendee.Status.CANCELLED: 2,
    }
    return sorted(attendees, key=lambda a: (rank[a.status], a.registered_at, a.pk))


class AttendeeListView(TemplateView):
    """Every attendee of the event, for the organiser."""

    template_name = "boards/attendee_list.html"

    def get_context_data(self, **kwargs):
        event = _managed_event(self.request.user, self.kwargs["pk"])
        attendees = _ordered(_attendees(event))
        return super().get_context_data(
            event=event,
            thread=event.thread,
            registration=getattr(event, "registration", None),
            attendees=attendees,
            confirmed=sum(a.status == Attendee.Status.CONFIRMED for a in attendees),
            waiting=sum(a.status == Attendee.Status.WAITING for a in attendees),
            **kwargs,
        )


def attendee_rows(event):
    """The export's rows: one per attendee, confirmed first, then the
    waiting list in order, then cancellations."""
    rows = []
    for attendee in _ordered(_attendees(event)):
        organisation = attendee.organisation
        prefecture = (
            organisation.prefecture.name
            if organisation.prefecture_id
            else (organisation.name if organisation.kind == "prefecture" else "")
        )
        rows.append(
            [
                organisation.full_name,
                prefecture,
                attendee.name,
                attendee.department,
                attendee.get_attendance_display(),
                attendee.get_status_display(),
                timezone.localtime(attendee.registered_at).strftime("%Y/%m/%d %H:%M"),
            ]
        )
    return rows


class AttendeeExportView(View):
    """The attendee list as .xlsx or as CSV (UTF-8 with BOM, for Excel)."""

    http_method_names = ["get"]

    def get(self, request, pk, fmt):
        if fmt not in ("xlsx", "csv"):
            raise Http404
        event = _managed_event(request.user, pk)
        rows = attendee_rows(event)
        name = f"attendees-{event.thread.pk}"
        if fmt == "xlsx":
            data = xlsx_workbook(
                [
                    Sheet(
                        title=_("Attendees"),
                        header=EXPORT_HEADER,
                        rows=rows,
                        widths=(28, 12, 18, 24, 12, 16, 18),
                    )
                ]
            )
            response = HttpResponse(
                data,
                content_type=(
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                ),
            )
        else:
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            writer.writerow([str(label) for label in EXPORT_HEADER])
            for row in rows:
                writer.writerow([spreadsheet_safe(value) for value in row])
            response = HttpResponse(
                "\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8"
            )
        response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
        return response
