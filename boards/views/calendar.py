"""The calendar (/calendar/): a month grid and a list of events and
deadlines, and the personal ICS feed that calendar programs subscribe to."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.dates import WEEKDAYS, WEEKDAYS_ABBR
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from django.views.generic import TemplateView, View

from members.common.eras import era_year, format_era_year

from .. import ics
from ..calendar import calendar_items, month_bounds, month_grid, shift_month
from ..event_forms import CalendarFilterForm, month_param
from ..services.calendar import calendar_feed_reissue


class CalendarMixin:
    """The chosen month and filters, and what both views show around them."""

    def calendar_context(self, *, start, end):
        form = CalendarFilterForm(self.request.GET, user=self.request.user)
        year, month = form.year_month()
        self.year, self.month = year, month
        filters = form.filters()
        if start is None:
            start, end = month_bounds(year, month)
        items = calendar_items(self.request.user, start=start, end=end, **filters)
        query = {
            key: value
            for key, value in (
                ("category", filters["category"] and filters["category"].slug),
                ("prefecture", filters["prefecture"] and filters["prefecture"].pk),
            )
            if value
        }
        feed_url, webcal_url = ics.feed_urls(self.request.user)
        first = datetime.date(year, month, 1)
        today = timezone.localdate()
        return {
            "form": form,
            "items": items,
            "year": year,
            "month": month,
            "month_heading": _("%(era_year)s (%(year)s) %(month)s")
            % {
                "era_year": format_era_year(*era_year(first)),
                "year": year,
                "month": month,
            },
            "month_value": month_param(year, month),
            "prev_month": month_param(*shift_month(year, month, -1)),
            "next_month": month_param(*shift_month(year, month, 1)),
            "this_month": month_param(today.year, today.month),
            "filter_query": query,
            "feed_url": feed_url,
            "webcal_url": webcal_url,
        }


class CalendarMonthView(CalendarMixin, TemplateView):
    """A month as a table of weeks, Sunday first."""

    template_name = "boards/calendar_month.html"

    def get_context_data(self, **kwargs):
        context = self.calendar_context(start=None, end=None)
        context["weeks"] = month_grid(
            self.year, self.month, context["items"], today=timezone.localdate()
        )
        # Sunday first, as the grid (boards.calendar.FIRST_WEEKDAY).
        context["weekdays"] = [
            (WEEKDAYS[day], WEEKDAYS_ABBR[day]) for day in (6, 0, 1, 2, 3, 4, 5)
        ]
        return super().get_context_data(**context, **kwargs)


class CalendarListView(CalendarMixin, TemplateView):
    """The month's events and deadlines as a list, by date."""

    template_name = "boards/calendar_list.html"

    def get_context_data(self, **kwargs):
        form = CalendarFilterForm(self.request.GET, user=self.request.user)
        year, month = form.year_month()
        start = datetime.date(year, month, 1)
        end = datetime.date(*shift_month(year, month, 1), 1) - datetime.timedelta(1)
        context = self.calendar_context(start=start, end=end)
        return super().get_context_data(**context, today=timezone.localdate(), **kwargs)


class FeedReissueView(View):
    """「URLを再発行」: a new feed address; the old one stops working."""

    http_method_names = ["post"]

    def post(self, request):
        calendar_feed_reissue(user=request.user)
        messages.success(
            request,
            _(
                "A new calendar feed address was issued. Calendars subscribed to "
                "the old address no longer receive updates."
            ),
        )
        return redirect("calendar:month")


@login_not_required
@require_GET
def feed(request, token):
    """The person's ICS feed: the token is the credential, no session."""
    user = ics.feed_user(token)
    if user is None:
        raise Http404
    response = HttpResponse(
        ics.feed_calendar(user), content_type="text/calendar; charset=utf-8"
    )
    response["Cache-Control"] = "private, max-age=0, no-cache"
    response["Content-Disposition"] = 'inline; filename="renkei.ics"'
    return response
